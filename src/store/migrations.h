/* store: SQLite schema migrations. Migration N brings PRAGMA user_version from N-1 to N. A
 * migration is frozen once released: change the schema by appending one. */
#ifndef KC_MIGRATIONS_H
#define KC_MIGRATIONS_H

/* Each migration: its SQL statements, NULL-terminated. */
extern const char *const *const kc__sqlite_migrations[];
extern const int kc__sqlite_migrations_len;

#endif
