// The database schema and its migrations, tracked by `PRAGMA user_version`.
#pragma once

#include "sqlite_db.h"

namespace tilescope::store::detail {

// The schema version this build writes.
constexpr int kSchemaVersion = 1;

// Brings the database to kSchemaVersion, one transaction per step (a crash between
// steps leaves a valid older version that the next open continues from). Running it on
// an up-to-date database changes nothing. Throws Error for a database newer than this
// build knows.
void migrate(Database& db);

} // namespace tilescope::store::detail
