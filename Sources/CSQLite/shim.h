#ifndef TRACEWARE_CSQLITE_SHIM_H
#define TRACEWARE_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
