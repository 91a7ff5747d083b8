/* store: SQLite schema migrations (see migrations.h). Columns follow src/store/schema.c; lists
 * and objects are JSON text. References are deferred foreign keys so an import may name a record
 * before the record itself. test_store checks that every field has its column. */
#include <stddef.h>

#include "migrations.h"

#define FK(t) " REFERENCES " t "(id) DEFERRABLE INITIALLY DEFERRED"
#define STAMPS "created_at TEXT NOT NULL, updated_at TEXT NOT NULL"

static const char *const m1[] = {
	"CREATE TABLE chain (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL,"
	" name TEXT NOT NULL, name_en TEXT, description TEXT, " STAMPS ")",
	"CREATE TABLE node (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL,"
	" chain_id TEXT NOT NULL" FK("chain") ", name TEXT NOT NULL, stage TEXT NOT NULL,"
	" aliases TEXT, industries TEXT, description TEXT, " STAMPS ")",
	"CREATE INDEX node_chain ON node(chain_id)",
	"CREATE TABLE edge (rowid INTEGER PRIMARY KEY, \"from\" TEXT NOT NULL" FK("node") ","
	" \"to\" TEXT NOT NULL" FK("node") ", relation TEXT, weight REAL, " STAMPS ")",
	"CREATE INDEX edge_to ON edge(\"to\")",
	"CREATE TABLE org (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, name TEXT NOT NULL,"
	" short_name TEXT, kind TEXT NOT NULL, region TEXT NOT NULL, industries TEXT,"
	" keywords TEXT, scale TEXT, founded TEXT, website TEXT, description TEXT, " STAMPS ")",
	"CREATE TABLE org_node (rowid INTEGER PRIMARY KEY, org_id TEXT NOT NULL" FK("org") ","
	" node_id TEXT NOT NULL" FK("node") ", role TEXT NOT NULL, region TEXT,"
	" region_inferred INTEGER, share REAL, " STAMPS ")",
	"CREATE INDEX org_node_node ON org_node(node_id)",
	"CREATE TABLE supply (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL,"
	" org_id TEXT NOT NULL" FK("org") ", kind TEXT NOT NULL, title TEXT NOT NULL,"
	" description TEXT, keywords TEXT, ipc TEXT, industries TEXT, nodes TEXT, trl INTEGER,"
	" stage TEXT, transfer TEXT, price_min REAL, price_max REAL, region TEXT, patent_no TEXT,"
	" published TEXT, status TEXT, " STAMPS ")",
	"CREATE INDEX supply_org ON supply(org_id)",
	"CREATE TABLE demand (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL,"
	" org_id TEXT NOT NULL" FK("org") ", title TEXT NOT NULL, description TEXT, keywords TEXT,"
	" ipc TEXT, industries TEXT, nodes TEXT, region TEXT, trl_min INTEGER, budget_min REAL,"
	" budget_max REAL, deadline TEXT, visibility TEXT, published TEXT, status TEXT, " STAMPS ")",
	"CREATE INDEX demand_org ON demand(org_id)",
	"CREATE TABLE challenge (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL,"
	" demand_id TEXT NOT NULL" FK("demand") ", title TEXT NOT NULL, description TEXT,"
	" budget REAL, deadline TEXT, milestones TEXT, status TEXT, published TEXT, " STAMPS ")",
	"CREATE INDEX challenge_demand ON challenge(demand_id)",
	"CREATE TABLE scenario (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL,"
	" org_id TEXT NOT NULL" FK("org") ", title TEXT NOT NULL, description TEXT, region TEXT,"
	" nodes TEXT, deadline TEXT, status TEXT, " STAMPS ")",
	"CREATE INDEX scenario_org ON scenario(org_id)",
	"CREATE TABLE \"match\" (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL,"
	" demand_id TEXT NOT NULL" FK("demand") ", supply_id TEXT NOT NULL" FK("supply") ","
	" score REAL, stage TEXT, reason TEXT, explanation TEXT, " STAMPS ")",
	"CREATE INDEX match_demand ON \"match\"(demand_id)",
	"CREATE INDEX match_supply ON \"match\"(supply_id)",
	"CREATE TABLE \"user\" (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, name TEXT NOT NULL,"
	" email TEXT, org_id TEXT" FK("org") ", role TEXT NOT NULL, password_hash TEXT, " STAMPS ")",
	"CREATE TABLE event (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,"
	" entity TEXT, entity_id TEXT, action TEXT NOT NULL, diff TEXT)",
	"CREATE INDEX event_entity ON event(entity, entity_id)",
	/* Unique keys as named indexes (not inline constraints) so a bulk load can drop and
	 * rebuild them (sqlite.c, sq_begin_bulk). */
	"CREATE UNIQUE INDEX chain_id ON chain(id)",
	"CREATE UNIQUE INDEX node_id ON node(id)",
	"CREATE UNIQUE INDEX edge_key ON edge(\"from\", \"to\")",
	"CREATE UNIQUE INDEX org_id ON org(id)",
	"CREATE UNIQUE INDEX org_node_key ON org_node(org_id, node_id, role)",
	"CREATE UNIQUE INDEX supply_id ON supply(id)",
	"CREATE UNIQUE INDEX demand_id ON demand(id)",
	"CREATE UNIQUE INDEX challenge_id ON challenge(id)",
	"CREATE UNIQUE INDEX scenario_id ON scenario(id)",
	"CREATE UNIQUE INDEX match_id ON \"match\"(id)",
	"CREATE UNIQUE INDEX user_id ON \"user\"(id)",
	NULL,
};

/* 2: feedback on a match from each side (accept / decline with a reason from a fixed list). */
static const char *const m2[] = {
	"ALTER TABLE \"match\" ADD COLUMN demand_verdict TEXT",
	"ALTER TABLE \"match\" ADD COLUMN demand_reason TEXT",
	"ALTER TABLE \"match\" ADD COLUMN supply_verdict TEXT",
	"ALTER TABLE \"match\" ADD COLUMN supply_reason TEXT",
	"ALTER TABLE \"match\" ADD COLUMN feedback_note TEXT",
	NULL,
};

/* 3: sessions and API tokens of the HTTP server, under the hash of their secret. */
static const char *const m3[] = {
	"CREATE TABLE credential (rowid INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
	" hash TEXT NOT NULL, id TEXT NOT NULL, user_id TEXT NOT NULL"
	" REFERENCES \"user\"(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,"
	" name TEXT, csrf TEXT, expires INTEGER NOT NULL, created_at TEXT NOT NULL)",
	"CREATE UNIQUE INDEX credential_hash ON credential(kind, hash)",
	"CREATE INDEX credential_user ON credential(user_id, kind)",
	NULL,
};

/* 4: where a match stood before a side declined it (restored when both sides accept again). */
static const char *const m4[] = {
	"ALTER TABLE \"match\" ADD COLUMN stage_before_decline TEXT",
	NULL,
};

const char *const *const kc__sqlite_migrations[] = {m1, m2, m3, m4};
const int kc__sqlite_migrations_len = 4;
