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

/// sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS): a virtual table that views may read on a connection whose
/// schema is not trusted (SQLITE_DBCONFIG_TRUSTED_SCHEMA off, as every traceware connection has it).
static inline int traceware_sqlite3_vtab_config_innocuous(sqlite3 *db) {
    return sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
}

/// A copy of `text` in memory from sqlite3_malloc (sqlite3_mprintf("%s", text)): what sqlite3_vtab.zErrMsg
/// must point to.
static inline char *traceware_sqlite3_strdup(const char *text) {
    return sqlite3_mprintf("%s", text);
}

/// The virtual table and cursor structures traceware's modules use: SQLite's own structure first, then a
/// pointer to the Swift object behind it.
typedef struct traceware_vtab {
    sqlite3_vtab base;
    void *owner;
} traceware_vtab;

/// The cursor also holds what xColumn, xEof and xRowid read, so that those (called up to 11 times a row) touch
/// no Swift object: `rows` points to the current chunk's decoded intervals, `position` is the current one.
typedef struct traceware_vtab_cursor {
    sqlite3_vtab_cursor base;
    void *owner;
    const void *rows;
    long long count;
    long long position;
    long long run_id;
    long long goid;
    int at_end;
} traceware_vtab_cursor;

#endif
