import Testing

@Test func placeholder_WarehouseTests() {}
