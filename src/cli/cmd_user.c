/* lantian user — accounts of the HTTP API: add (the first administrator can only be made here),
 * list, disable. Passwords are read from stdin (never from the command line, where `ps` and the
 * shell history would show them) and stored as libsodium argon2id hashes (crypto_pwhash_str).
 * add and disable append their audit row (user "cli:<login>"; the hash is never in it) in the
 * same transaction as the change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli/audit.h"
#include "cli/cli.h"
#include "lantian/util.h"
#include "store/store.h"

#define CMD "user"

static void lt__usage(FILE *f)
{
    fprintf(
        f,
        "usage: lantian user add --db PATH --name NAME --role ROLE [--province P [--city C\n"
        "                        [--county X [--township T]]]] --password-stdin\n"
        "       lantian user list --db PATH\n"
        "       lantian user disable --db PATH --name NAME\n"
        "\n"
        "Roles: admin, analyst, county, enforcement, leader. The scope is a place in the region\n"
        "tree: a county user needs --province, --city and --county (and --township for a\n"
        "township user: it sees and changes only its township's sites); an admin has no scope;\n"
        "other roles may have a province, city, county or township scope or none (the whole\n"
        "store).\n"
        "The password (at least 8 bytes) is the first line of stdin.\n"
        "exit status: 0 done, 1 refused (name taken, unknown user), 2 bad command line or "
        "database.\n");
}

static int lt__read_password(char *pw, size_t cap)
{
    if (!fgets(pw, (int)cap, stdin))
        return -1;
    size_t n = strlen(pw);
    if (n && pw[n - 1] == '\n')
        pw[--n] = '\0';
    else if (n == cap - 1)
        return -1; /* longer than the buffer */
    if (n && pw[n - 1] == '\r')
        pw[--n] = '\0';
    return 0;
}

/* The audit row of an account change: the user before (NULL when new) and after, no hash. */
static int lt__audit_user(struct lt_store *st, const char *who, const char *action,
                          const struct lt_user *before, const struct lt_user *after)
{
    struct lt_audit_row r;
    char obj[96];
    int rc = lt_audit_row_open(&r);
    if (rc)
        return rc;
    if (before)
        lt_audit_user_json(r.b, before);
    lt_audit_user_json(r.a, after);
    snprintf(obj, sizeof obj, "user/%s", after->name);
    rc = lt_audit_row_append(&r, st, lt_audit_now_ms(), who, action, obj);
    lt_audit_row_free(&r);
    return rc;
}

static int lt__add(struct lt_store *st, const char *name, const char *role, const char *prov,
                   const char *city, const char *county, const char *township)
{
    struct lt_user u;
    char pw[256];
    int status = LT_EXIT_USAGE;
    memset(&u, 0, sizeof u);
    if (!lt_store_role_ok(role)) {
        lt_cli_err(CMD, "unknown --role '%s' (admin, analyst, county, enforcement, leader)", role);
        return LT_EXIT_USAGE;
    }
    if (!strcmp(role, "admin") && (prov || city || county || township)) {
        lt_cli_err(CMD, "an admin has no scope (drop --province/--city/--county/--township)");
        return LT_EXIT_USAGE;
    }
    if (!strcmp(role, "county") && (!prov || !city || !county)) {
        lt_cli_err(CMD, "a county user needs --province, --city and --county");
        return LT_EXIT_USAGE;
    }
    if ((township && !county) || (county && !city) || (city && !prov)) {
        lt_cli_err(CMD, "a scope names every level above its own (--province > --city > --county "
                        "> --township)");
        return LT_EXIT_USAGE;
    }
    if (strlen(name) >= sizeof u.name || (prov && strlen(prov) >= sizeof u.province) ||
        (city && strlen(city) >= sizeof u.city) || (county && strlen(county) >= sizeof u.county) ||
        (township && strlen(township) >= sizeof u.township)) {
        lt_cli_err(CMD, "a name is too long (at most 63 bytes)");
        return LT_EXIT_USAGE;
    }
    /* The bootstrap: the first user of a store must be an administrator, so that nobody can
     * reach the API before someone with the machine's access has made one. */
    int64_t admins = 0;
    if (lt_store_user_count(st, "admin", &admins)) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return LT_EXIT_USAGE;
    }
    if (admins == 0 && strcmp(role, "admin") != 0) {
        lt_cli_err(CMD, "there is no administrator yet: add one first (--role admin)");
        return LT_EXIT_REJECTED;
    }
    if (lt__read_password(pw, sizeof pw) || strlen(pw) < 8) {
        lt_cli_err(CMD, "--password-stdin: the first line of stdin must be a password of 8 .. 254 "
                        "bytes");
        goto out;
    }
    if (sodium_init() < 0) {
        lt_cli_err(CMD, "libsodium could not start");
        goto out;
    }
    /* argon2id with libsodium's "interactive" limits (64 MiB, 2 passes): a login costs ~0.1 s. */
    if (crypto_pwhash_str(u.pw_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE)) {
        lt_cli_err(CMD, "out of memory hashing the password");
        goto out;
    }
    snprintf(u.name, sizeof u.name, "%s", name);
    snprintf(u.role, sizeof u.role, "%s", role);
    snprintf(u.province, sizeof u.province, "%s", prov ? prov : "");
    snprintf(u.city, sizeof u.city, "%s", city ? city : "");
    snprintf(u.county, sizeof u.county, "%s", county ? county : "");
    snprintf(u.township, sizeof u.township, "%s", township ? township : "");
    u.created_at = (int64_t)time(NULL);
    char who[64];
    lt_audit_cli_user(who, sizeof who);
    int rc = lt_store_begin(st);
    if (!rc)
        rc = lt_store_user_add(st, &u, NULL);
    if (!rc)
        rc = lt__audit_user(st, who, "user_add", NULL, &u);
    if (!rc)
        rc = lt_store_commit(st);
    if (rc)
        lt_store_rollback(st);
    if (rc == LT_EEXIST) {
        lt_cli_err(CMD, "user '%s' exists already", name);
        status = LT_EXIT_REJECTED;
        goto out;
    }
    if (rc) {
        lt_cli_err(CMD, "cannot add user: %s", lt_store_errmsg(st));
        goto out;
    }
    printf("user %s added (%s)\n", name, role);
    status = LT_EXIT_OK;
out:
    sodium_memzero(pw, sizeof pw);
    return status;
}

static int lt__list(struct lt_store *st)
{
    struct lt_user *v = NULL;
    int n = 0;
    if (lt_store_users(st, &v, &n)) {
        lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        return LT_EXIT_USAGE;
    }
    printf("name\trole\tprovince\tcity\tcounty\tcreated\tdisabled\ttownship\n");
    for (int i = 0; i < n; i++) {
        char tb[32];
        lt_bj_format_time(v[i].created_at, tb, sizeof tb);
        printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v[i].name, v[i].role, v[i].province, v[i].city,
               v[i].county, tb, v[i].disabled ? "yes" : "no", v[i].township);
    }
    free(v);
    return LT_EXIT_OK;
}

int lt_cmd_user(int argc, char **argv)
{
    const char *db = NULL, *name = NULL, *role = NULL, *prov = NULL, *city = NULL, *county = NULL,
               *township = NULL;
    bool pw_stdin = false;
    struct lt_store *st = NULL;
    struct lt_diag d = {0};
    int status = LT_EXIT_USAGE;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        lt__usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? LT_EXIT_USAGE : LT_EXIT_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "disable") != 0) {
        lt_cli_err(CMD, "unknown subcommand '%s' (add, list, disable)", sub);
        return LT_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = lt_cli_opt(CMD, argc, argv, &i, "--db", &db)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--name", &name)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--role", &role)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--province", &prov)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--city", &city)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--county", &county)) ||
            (r = lt_cli_opt(CMD, argc, argv, &i, "--township", &township))) {
            if (r < 0)
                return LT_EXIT_USAGE;
            continue;
        }
        if (!strcmp(argv[i], "--password-stdin")) {
            pw_stdin = true;
            continue;
        }
        lt_cli_err(CMD, "unknown option '%s' (see lantian user --help)", argv[i]);
        return LT_EXIT_USAGE;
    }
    if (!db) {
        lt_cli_err(CMD, "--db PATH is required");
        return LT_EXIT_USAGE;
    }
    bool add = !strcmp(sub, "add"), list = !strcmp(sub, "list");
    if (add && (!name || !role || !pw_stdin)) {
        lt_cli_err(CMD, "add needs --name, --role and --password-stdin");
        return LT_EXIT_USAGE;
    }
    if (!add && (role || prov || city || county || township || pw_stdin || (list && name))) {
        lt_cli_err(CMD, "%s takes only --db%s", sub, list ? "" : " and --name");
        return LT_EXIT_USAGE;
    }
    if (!add && !list && !name) {
        lt_cli_err(CMD, "disable needs --name");
        return LT_EXIT_USAGE;
    }
    if (lt_store_open(&st, db, &d)) {
        lt_cli_err(CMD, "cannot open database: %s", d.msg);
        return LT_EXIT_USAGE;
    }
    if (add)
        status = lt__add(st, name, role, prov, city, county, township);
    else if (list)
        status = lt__list(st);
    else {
        /* The account before and after, and the change, in one transaction. */
        struct lt_user was, now;
        char who[64];
        lt_audit_cli_user(who, sizeof who);
        int rc = lt_store_begin(st);
        if (!rc)
            rc = lt_store_user_get(st, name, &was);
        if (!rc)
            rc = lt_store_user_disable(st, name);
        if (!rc)
            rc = lt_store_user_get(st, name, &now);
        if (!rc && was.disabled == now.disabled)
            rc = lt_store_commit(st); /* disabled already: nothing changed, no row */
        else if (!rc) {
            rc = lt__audit_user(st, who, "user_disable", &was, &now);
            if (!rc)
                rc = lt_store_commit(st);
        }
        if (rc)
            lt_store_rollback(st);
        if (rc == LT_ENOTFOUND) {
            lt_cli_err(CMD, "no user '%s'", name);
            status = LT_EXIT_REJECTED;
        } else if (rc) {
            lt_cli_err(CMD, "%s", lt_store_errmsg(st));
        } else {
            printf("user %s disabled; its sessions ended\n", name);
            status = LT_EXIT_OK;
        }
    }
    lt_store_close(st);
    return status;
}
