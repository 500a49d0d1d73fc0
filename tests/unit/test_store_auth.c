/* Tests of the accounts part of the SQLite store (schema version 5): users with roles and scopes,
 * sessions keyed by a token hash that expire and end with their user, the append-only audit log,
 * and the migration of a version-4 database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"

static char tmpdir[512];
static char dbpath[600];

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("LT_TMP");
    snprintf(tmpdir, sizeof tmpdir, "%s/lt_auth_XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct lt_store *fresh(const char *name)
{
    struct lt_store *s = NULL;
    struct lt_diag d = {0};
    snprintf(dbpath, sizeof dbpath, "%s/%s.db", tmpdir, name);
    unlink(dbpath);
    assert_int_equal(lt_store_open(&s, dbpath, &d), 0);
    return s;
}

static sqlite3 *raw_db(void)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
    return db;
}

static int query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int v = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return v;
}

static struct lt_user user(const char *name, const char *role, const char *prov, const char *city,
                           const char *county)
{
    struct lt_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "%s", name);
    snprintf(u.role, sizeof u.role, "%s", role);
    snprintf(u.province, sizeof u.province, "%s", prov);
    snprintf(u.city, sizeof u.city, "%s", city);
    snprintf(u.county, sizeof u.county, "%s", county);
    snprintf(u.pw_hash, sizeof u.pw_hash, "$argon2id$v=19$m=65536,t=2,p=1$fake");
    u.created_at = 1700000000;
    return u;
}

static void test_users(void **state)
{
    (void)state;
    struct lt_store *s = fresh("users");
    struct lt_user u = user("root", "admin", "", "", ""), got;
    int64_t id = 0, n = -1;
    assert_int_equal(lt_store_user_count(s, "admin", &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(lt_store_user_add(s, &u, &id), 0);
    assert_true(id > 0);
    assert_int_equal(lt_store_user_add(s, &u, NULL), LT_EEXIST);
    u = user("zj", "county", "河南省", "郑州市", "中牟县");
    assert_int_equal(lt_store_user_add(s, &u, NULL), 0);
    /* Unknown role, empty name, a county without its city, no password hash: refused. */
    u = user("x", "superuser", "", "", "");
    assert_int_equal(lt_store_user_add(s, &u, NULL), LT_EINVAL);
    u = user("", "admin", "", "", "");
    assert_int_equal(lt_store_user_add(s, &u, NULL), LT_EINVAL);
    u = user("y", "county", "河南省", "", "中牟县");
    assert_int_equal(lt_store_user_add(s, &u, NULL), LT_EINVAL);
    u = user("z", "leader", "", "", "");
    u.pw_hash[0] = '\0';
    assert_int_equal(lt_store_user_add(s, &u, NULL), LT_EINVAL);

    assert_int_equal(lt_store_user_get(s, "zj", &got), 0);
    assert_string_equal(got.role, "county");
    assert_string_equal(got.county, "中牟县");
    assert_string_equal(got.city, "郑州市");
    assert_false(got.disabled);
    assert_int_equal(lt_store_user_get(s, "nobody", &got), LT_ENOTFOUND);

    struct lt_user *all = NULL;
    int na = 0;
    assert_int_equal(lt_store_users(s, &all, &na), 0);
    assert_int_equal(na, 2);
    assert_string_equal(all[0].name, "root");
    free(all);
    assert_int_equal(lt_store_user_count(s, "admin", &n), 0);
    assert_int_equal(n, 1);
    assert_true(lt_store_role_ok("enforcement"));
    assert_false(lt_store_role_ok("Admin"));
    lt_store_close(s);

    /* The CHECK constraint holds even for writers that bypass the store. */
    sqlite3 *db = raw_db();
    assert_int_not_equal(sqlite3_exec(db,
                                      "INSERT INTO users (name, role, pw_hash, created_at) "
                                      "VALUES ('q', 'root', 'h', 1)",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(db);
}

static void test_sessions(void **state)
{
    (void)state;
    struct lt_store *s = fresh("sessions");
    struct lt_user u = user("ana", "analyst", "河南省", "郑州市", ""), got;
    int64_t uid, exp = 0;
    assert_int_equal(lt_store_user_add(s, &u, &uid), 0);
    assert_int_equal(lt_store_session_add(s, "aa11", uid, 1000, 2000), 0);
    assert_int_equal(lt_store_session_add(s, "aa11", uid, 1000, 2000), LT_EEXIST);
    assert_int_equal(lt_store_session_add(s, "bb22", uid, 1000, 1000), LT_EINVAL);
    assert_int_equal(lt_store_session_get(s, "aa11", 1500, &got, &exp), 0);
    assert_string_equal(got.name, "ana");
    assert_int_equal(exp, 2000);
    /* Expired at expires_at; unknown hashes open nothing. */
    assert_int_equal(lt_store_session_get(s, "aa11", 2000, &got, NULL), LT_ENOTFOUND);
    assert_int_equal(lt_store_session_get(s, "zz", 1500, &got, NULL), LT_ENOTFOUND);
    /* Logout ends one session. */
    assert_int_equal(lt_store_session_add(s, "cc33", uid, 1000, 5000), 0);
    assert_int_equal(lt_store_session_end(s, "cc33"), 0);
    assert_int_equal(lt_store_session_get(s, "cc33", 1500, &got, NULL), LT_ENOTFOUND);
    /* Disabling a user ends its sessions and keeps the user. */
    assert_int_equal(lt_store_session_add(s, "dd44", uid, 1000, 5000), 0);
    assert_int_equal(lt_store_user_disable(s, "ana"), 0);
    assert_int_equal(lt_store_session_get(s, "dd44", 1500, &got, NULL), LT_ENOTFOUND);
    assert_int_equal(lt_store_user_get(s, "ana", &got), 0);
    assert_true(got.disabled);
    assert_int_equal(lt_store_user_disable(s, "nobody"), LT_ENOTFOUND);
    lt_store_close(s);
    /* Only hashes are stored. */
    sqlite3 *db = raw_db();
    assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_table_info('sessions') "
                                   "WHERE name = 'token'"),
                     0);
    sqlite3_close(db);
}

static void test_audit(void **state)
{
    (void)state;
    struct lt_store *s = fresh("audit");
    int64_t id = 0, total = 0;
    assert_int_equal(lt_store_audit_append(s, 1000, "root", "correction", "hourly/1316A/PM2.5",
                                           "{\"value\": 80}", "{\"value\": 120.5}", &id),
                     0);
    assert_true(id > 0);
    assert_int_equal(lt_store_audit_append(s, 2000, "root", "dust_set", "dust/郑州", NULL,
                                           "{\"on\": true}", NULL),
                     0);
    assert_int_equal(lt_store_audit_append(s, 2000, "", "x", "y", NULL, NULL, NULL), LT_EINVAL);
    struct lt_audit *v = NULL;
    int n = 0;
    assert_int_equal(lt_store_audit_list(s, 10, 0, &v, &n, &total), 0);
    assert_int_equal(n, 2);
    assert_int_equal(total, 2);
    /* Newest first. */
    assert_string_equal(v[0].action, "dust_set");
    assert_string_equal(v[0].before_json, "");
    assert_string_equal(v[1].before_json, "{\"value\": 80}");
    assert_string_equal(v[1].after_json, "{\"value\": 120.5}");
    assert_int_equal(v[1].at_ms, 1000);
    free(v);
    assert_int_equal(lt_store_audit_list(s, 1, 1, &v, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].action, "correction");
    free(v);
    lt_store_close(s);
    /* Append-only: the triggers refuse changes and deletions. */
    sqlite3 *db = raw_db();
    assert_int_not_equal(sqlite3_exec(db, "UPDATE audit_log SET user = 'x'", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_log", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(query_int(db, "SELECT count(*) FROM audit_log"), 2);
    sqlite3_close(db);
}

static void test_migration_v4(void **state)
{
    (void)state;
    /* A version-4 database: today's schema without version 5's tables, with a site in it. */
    struct lt_store *s = fresh("v4");
    struct lt_site site;
    memset(&site, 0, sizeof site);
    snprintf(site.code, sizeof site.code, "1316A");
    snprintf(site.name, sizeof site.name, "test");
    snprintf(site.city, sizeof site.city, "郑州");
    site.valid_from = LT_DAY_OPEN_FROM;
    site.valid_to = LT_DAY_OPEN_TO;
    assert_int_equal(lt_store_site_put(s, &site, NULL), 0);
    lt_store_close(s);
    sqlite3 *db = raw_db();
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TABLE data_gen; DROP TABLE sessions; DROP TABLE users; "
                                  "DROP TABLE audit_log; DELETE FROM schema_version WHERE version "
                                  ">= 5",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(query_int(db, "SELECT max(version) FROM schema_version"), 4);
    sqlite3_close(db);

    struct lt_diag d = {0};
    s = NULL;
    assert_int_equal(lt_store_open(&s, dbpath, &d), 0);
    struct lt_site got;
    assert_int_equal(lt_store_site_get(s, "1316A", &got), 0);
    struct lt_user u = user("root", "admin", "", "", "");
    assert_int_equal(lt_store_user_add(s, &u, NULL), 0);
    lt_store_close(s);
    db = raw_db();
    assert_int_equal(query_int(db, "SELECT max(version) FROM schema_version"), 6);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                   "('users', 'sessions', 'audit_log', 'audit_log_no_update', "
                                   "'audit_log_no_delete')"),
                     5);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_users),
        cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_audit),
        cmocka_unit_test(test_migration_v4),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
