import Testing

@Test func placeholder_GoTraceTests() {}
