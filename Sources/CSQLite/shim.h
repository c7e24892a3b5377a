#ifndef TRACEWARE_CSQLITE_SHIM_H
#define TRACEWARE_CSQLITE_SHIM_H
#include <sqlite3.h>

// Swift cannot call C variadic functions, so the ones traceware needs are wrapped here.

/// sqlite3_db_config for the options that take (int, int*): SQLITE_DBCONFIG_DEFENSIVE,
/// SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, SQLITE_DBCONFIG_TRUSTED_SCHEMA, ...
static inline int traceware_sqlite3_db_config_int(sqlite3 *db, int op, int value, int *current) {
    return sqlite3_db_config(db, op, value, current);
}

/// sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0): no global memory statistics, so every sqlite3_malloc and
/// sqlite3_free skips a mutex and two counters. Only takes effect before SQLite initializes (the first open);
/// later it returns SQLITE_MISUSE and changes nothing.
static inline int traceware_sqlite3_config_memstatus_off(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#endif
