#ifndef TRACEWARE_CSQLITE_SHIM_H
#define TRACEWARE_CSQLITE_SHIM_H
#include <sqlite3.h>

// Swift cannot call C variadic functions, so the ones traceware needs are wrapped here.

/// sqlite3_db_config for the options that take (int, int*): SQLITE_DBCONFIG_DEFENSIVE,
/// SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, SQLITE_DBCONFIG_TRUSTED_SCHEMA, ...
static inline int traceware_sqlite3_db_config_int(sqlite3 *db, int op, int value, int *current) {
    return sqlite3_db_config(db, op, value, current);
}

#endif
