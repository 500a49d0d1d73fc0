/* lantian — accounts and reach over HTTP: login (argon2id via libsodium, rate-limited), sessions
 * as expiring bearer tokens (only a hash of the token is stored), the public/login gate of every
 * route, scope checks in the region tree, the write endpoint for corrections and the audit log.
 * docs/API.md "Accounts, roles and scopes" is the contract. */
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>
#include <sodium.h>

#include "cli/audit.h"
#include "http/http_internal.h"
#include "lantian/hj212.h"
#include "lantian/source.h"
#include "lantian/util.h"

/* ---- libsodium and the session token ------------------------------------------------------- */

static pthread_once_t lt__sodium_once = PTHREAD_ONCE_INIT;
static int lt__sodium_rc;

static void lt__sodium_init_once(void)
{
    lt__sodium_rc = sodium_init() < 0 ? LT_EIO : 0;
}

int lt__auth_init(void)
{
    pthread_once(&lt__sodium_once, lt__sodium_init_once);
    return lt__sodium_rc;
}

/* The stored form of a token: hex of its BLAKE2b-256 hash. A token has 256 random bits, so a fast
 * hash is enough (no password-style stretching needed); the database never holds the token. */
static void lt__token_hash(const char *token, char hex[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(hex, 65, h, sizeof h);
}

/* Session lifetime: LANTIAN_SESSION_TTL_S (60 .. 30 days; 1 .. for tests), default 12 h. */
static int64_t lt__session_ttl(void)
{
    const char *e = getenv("LANTIAN_SESSION_TTL_S");
    long long v;
    if (e && !lt_parse_int(lt_str_of(e), 1, 30LL * 86400, &v))
        return v;
    return 12 * 3600;
}

/* ---- a small strict JSON reader for request bodies ----------------------------------------- */

/* A request body is one flat object whose members are strings, numbers, true, false or null
 * (RFC 8259 grammar; no nesting, no duplicate names). Errors carry the byte offset. */
struct lt__jp {
    const char *p, *s, *e;
    char msg[120];
};

static void lt__jws(struct lt__jp *j)
{
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int lt__jerr(struct lt__jp *j, const char *msg)
{
    snprintf(j->msg, sizeof j->msg, "%s", msg);
    return -1;
}

static int lt__jhex(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return -1;
        *v = *v * 16 + d;
    }
    return 0;
}

/* A string at j->p (the opening quote) into out (UTF-8, NUL-terminated; \u0000 refused). */
static int lt__jstring(struct lt__jp *j, char *out, size_t cap)
{
    size_t n = 0;
    j->p++;
    while (j->p < j->e && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        char enc[4];
        size_t k = 0;
        if (c < 0x20)
            return lt__jerr(j, "control character in a string");
        if (c != '\\') {
            enc[k++] = (char)c;
            j->p++;
        } else {
            if (j->e - j->p < 2)
                return lt__jerr(j, "unfinished escape");
            char x = j->p[1];
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *f = strchr(from, x);
            if (x && f) {
                enc[k++] = to[f - from];
                j->p += 2;
            } else if (x == 'u') {
                unsigned u, lo;
                if (j->e - j->p < 6 || lt__jhex(j->p + 2, &u))
                    return lt__jerr(j, "bad \\u escape");
                j->p += 6;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    if (j->e - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
                        lt__jhex(j->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return lt__jerr(j, "unpaired surrogate in \\u escape");
                    j->p += 6;
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                } else if (u >= 0xDC00 && u <= 0xDFFF) {
                    return lt__jerr(j, "unpaired surrogate in \\u escape");
                }
                if (u == 0)
                    return lt__jerr(j, "NUL in a string");
                if (u < 0x80) {
                    enc[k++] = (char)u;
                } else if (u < 0x800) {
                    enc[k++] = (char)(0xC0 | (u >> 6));
                    enc[k++] = (char)(0x80 | (u & 0x3F));
                } else if (u < 0x10000) {
                    enc[k++] = (char)(0xE0 | (u >> 12));
                    enc[k++] = (char)(0x80 | ((u >> 6) & 0x3F));
                    enc[k++] = (char)(0x80 | (u & 0x3F));
                } else {
                    enc[k++] = (char)(0xF0 | (u >> 18));
                    enc[k++] = (char)(0x80 | ((u >> 12) & 0x3F));
                    enc[k++] = (char)(0x80 | ((u >> 6) & 0x3F));
                    enc[k++] = (char)(0x80 | (u & 0x3F));
                }
            } else {
                return lt__jerr(j, "unknown escape");
            }
        }
        if (n + k >= cap)
            return lt__jerr(j, "string too long");
        memcpy(out + n, enc, k);
        n += k;
    }
    if (j->p >= j->e)
        return lt__jerr(j, "unterminated string");
    j->p++;
    out[n] = '\0';
    return 0;
}

static int lt__jnumber(struct lt__jp *j, double *v)
{
    const char *a = j->p;
    if (j->p < j->e && *j->p == '-')
        j->p++;
    if (j->p >= j->e || *j->p < '0' || *j->p > '9')
        return lt__jerr(j, "expected a value");
    if (*j->p == '0')
        j->p++;
    else
        while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
            j->p++;
    if (j->p < j->e && *j->p == '.') {
        j->p++;
        if (j->p >= j->e || *j->p < '0' || *j->p > '9')
            return lt__jerr(j, "digits expected after '.'");
        while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (j->p < j->e && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->e && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->e || *j->p < '0' || *j->p > '9')
            return lt__jerr(j, "digits expected in the exponent");
        while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (lt_parse_double((struct lt_str){a, (size_t)(j->p - a)}, v) || !isfinite(*v)) {
        j->p = a;
        return lt__jerr(j, "number out of range");
    }
    return 0;
}

static bool lt__jword(struct lt__jp *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->e - j->p) >= n && !memcmp(j->p, w, n)) {
        j->p += n;
        return true;
    }
    return false;
}

/* Parse body[0..len) into o; on error *pos gets the byte offset and msg the reason. */
static int lt__json_parse(const char *body, size_t len, struct lt__jobj *o, size_t *pos, char *msg,
                          size_t cap)
{
    struct lt__jp j = {.p = body, .s = body, .e = body + len};
    memset(o, 0, sizeof *o);
    if (!lt_utf8_valid(body, len)) {
        lt__jerr(&j, "the body is not valid UTF-8");
        j.p = body;
        goto fail;
    }
    lt__jws(&j);
    if (j.p >= j.e || *j.p != '{') {
        lt__jerr(&j, "expected '{' (the body is one JSON object)");
        goto fail;
    }
    j.p++;
    lt__jws(&j);
    if (j.p < j.e && *j.p == '}') {
        j.p++;
        goto end;
    }
    for (;;) {
        lt__jws(&j);
        if (j.p >= j.e || *j.p != '"') {
            lt__jerr(&j, "expected a member name in double quotes");
            goto fail;
        }
        if (o->n == LT__JMEMBERS) {
            lt__jerr(&j, "too many members");
            goto fail;
        }
        struct lt__jmember *m = &o->m[o->n];
        const char *kp = j.p;
        if (lt__jstring(&j, m->key, sizeof m->key))
            goto fail;
        for (int i = 0; i < o->n; i++)
            if (!strcmp(o->m[i].key, m->key)) {
                j.p = kp;
                lt__jerr(&j, "a member name is given twice");
                goto fail;
            }
        lt__jws(&j);
        if (j.p >= j.e || *j.p != ':') {
            lt__jerr(&j, "expected ':'");
            goto fail;
        }
        j.p++;
        lt__jws(&j);
        if (j.p < j.e && *j.p == '"') {
            m->type = LT__JSTR;
            if (lt__jstring(&j, m->str, sizeof m->str))
                goto fail;
        } else if (lt__jword(&j, "true")) {
            m->type = LT__JBOOL;
            m->b = true;
        } else if (lt__jword(&j, "false")) {
            m->type = LT__JBOOL;
        } else if (lt__jword(&j, "null")) {
            m->type = LT__JNULL;
        } else if (j.p < j.e && (*j.p == '{' || *j.p == '[')) {
            lt__jerr(&j, "nested objects and arrays are not accepted here");
            goto fail;
        } else {
            m->type = LT__JNUM;
            if (lt__jnumber(&j, &m->num))
                goto fail;
        }
        o->n++;
        lt__jws(&j);
        if (j.p < j.e && *j.p == ',') {
            j.p++;
            continue;
        }
        if (j.p < j.e && *j.p == '}') {
            j.p++;
            break;
        }
        lt__jerr(&j, "expected ',' or '}'");
        goto fail;
    }
end:
    lt__jws(&j);
    if (j.p != j.e) {
        lt__jerr(&j, "text after the object");
        goto fail;
    }
    return 0;
fail:
    *pos = (size_t)(j.p - j.s);
    snprintf(msg, cap, "%s", j.msg);
    return -1;
}

const struct lt__jmember *lt__jget(const struct lt__jobj *o, const char *key)
{
    for (int i = 0; i < o->n; i++)
        if (!strcmp(o->m[i].key, key))
            return &o->m[i];
    return NULL;
}

/* Parse q's body as a JSON object with only the members in allowed (" a b c "): 400 with the
 * byte position when malformed, 400 for an unknown member. */
int lt__body_object(struct lt__req *q, const char *allowed, struct lt__jobj *o)
{
    size_t pos = 0;
    char msg[120], k[40];
    if (!q->body || !q->body_len)
        return lt__fail(q, 400, "malformed_json", "the request needs a JSON object body");
    if (lt__json_parse(q->body, q->body_len, o, &pos, msg, sizeof msg))
        return lt__fail(q, 400, "malformed_json", "malformed JSON at byte %zu: %s", pos, msg);
    for (int i = 0; i < o->n; i++) {
        snprintf(k, sizeof k, " %s ", o->m[i].key);
        if (!strstr(allowed, k))
            return lt__fail(q, 400, "unknown_field", "unknown field '%s'; this endpoint takes:%s",
                            o->m[i].key, allowed);
    }
    return 0;
}

/* A required string member: 400 when missing, not a string or empty. */
int lt__jreq_str(struct lt__req *q, const struct lt__jobj *o, const char *key, const char **out)
{
    const struct lt__jmember *m = lt__jget(o, key);
    if (!m)
        return lt__fail(q, 400, "missing_field", "%s is required", key);
    if (m->type != LT__JSTR || !m->str[0])
        return lt__fail(q, 400, "bad_field", "%s must be a non-empty string", key);
    *out = m->str;
    return 0;
}

/* ---- rate limit of failed logins ----------------------------------------------------------- */

/* Failures are counted per user name and per client address (so that neither guessing one
 * account from many addresses nor many accounts from one address goes fast): after
 * LT__RL_FAILS failures of a name (LT__RL_IP_FAILS of an address) within LT__RL_WINDOW_S,
 * attempts are refused with 429 until the window of the first failure ends. Process-wide; a table
 * of fixed size where the oldest entry goes. */
#define LT__RL_FAILS    5  /* per user name */
#define LT__RL_IP_FAILS 20 /* per client address (offices share one behind NAT) */
#define LT__RL_WINDOW_S 300
#define LT__RL_SLOTS    512

struct lt__rl_slot {
    char key[96];
    int64_t first;
    int fails;
};
static struct lt__rl_slot lt__rl[LT__RL_SLOTS];
static pthread_mutex_t lt__rl_mu = PTHREAD_MUTEX_INITIALIZER;

static struct lt__rl_slot *lt__rl_find(const char *key, int64_t now, bool create)
{
    struct lt__rl_slot *oldest = &lt__rl[0];
    for (int i = 0; i < LT__RL_SLOTS; i++) {
        struct lt__rl_slot *sl = &lt__rl[i];
        if (sl->key[0] && now - sl->first >= LT__RL_WINDOW_S)
            sl->key[0] = '\0'; /* the window passed: forget */
        if (sl->key[0] && !strcmp(sl->key, key))
            return sl;
        if (!sl->key[0] || sl->first < oldest->first)
            oldest = sl->key[0] && oldest->key[0] ? (sl->first < oldest->first ? sl : oldest) : sl;
    }
    if (!create)
        return NULL;
    memset(oldest, 0, sizeof *oldest);
    snprintf(oldest->key, sizeof oldest->key, "%s", key);
    oldest->first = now;
    return oldest;
}

/* Seconds to wait before another attempt with either key, 0 when allowed. */
static int64_t lt__rl_wait(const char *ukey, const char *ikey, int64_t now)
{
    int64_t wait = 0;
    pthread_mutex_lock(&lt__rl_mu);
    const char *keys[2] = {ukey, ikey};
    for (int i = 0; i < 2; i++) {
        struct lt__rl_slot *sl = lt__rl_find(keys[i], now, false);
        if (sl && sl->fails >= (i ? LT__RL_IP_FAILS : LT__RL_FAILS) &&
            sl->first + LT__RL_WINDOW_S - now > wait)
            wait = sl->first + LT__RL_WINDOW_S - now;
    }
    pthread_mutex_unlock(&lt__rl_mu);
    return wait;
}

static void lt__rl_fail(const char *ukey, const char *ikey, int64_t now)
{
    pthread_mutex_lock(&lt__rl_mu);
    const char *keys[2] = {ukey, ikey};
    for (int i = 0; i < 2; i++) {
        struct lt__rl_slot *sl = lt__rl_find(keys[i], now, true);
        sl->fails++;
    }
    pthread_mutex_unlock(&lt__rl_mu);
}

static void lt__rl_clear(const char *ukey, int64_t now)
{
    pthread_mutex_lock(&lt__rl_mu);
    struct lt__rl_slot *sl = lt__rl_find(ukey, now, false);
    if (sl)
        sl->key[0] = '\0';
    pthread_mutex_unlock(&lt__rl_mu);
}

static void lt__client_ip(struct lt__req *q, char *ip, size_t cap)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
        (struct MHD_Connection *)q->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(ip, cap, "unknown");
    if (!ci || !ci->client_addr)
        return;
    socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                           : sizeof(struct sockaddr_in);
    if (getnameinfo(ci->client_addr, len, ip, (socklen_t)cap, NULL, 0, NI_NUMERICHOST))
        snprintf(ip, cap, "unknown");
}

/* ---- login, logout, me --------------------------------------------------------------------- */

/* A password hash to verify against when the user is unknown, so that an unknown name takes as
 * long to refuse as a wrong password (no user enumeration by timing). */
static char lt__dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t lt__dummy_once = PTHREAD_ONCE_INIT;

static void lt__dummy_init(void)
{
    if (crypto_pwhash_str(lt__dummy_hash, "lantian-dummy", 13, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE))
        lt__dummy_hash[0] = '\0';
}

static void lt__user_json(FILE *f, const struct lt_user *u)
{
    fputs("{\"name\": ", f);
    lt_json_str(f, u->name);
    fputs(", \"role\": ", f);
    lt_json_str(f, u->role);
    fputs(", \"scope\": {\"province\": ", f);
    lt_json_str(f, u->province);
    fputs(", \"city\": ", f);
    lt_json_str(f, u->city);
    fputs(", \"county\": ", f);
    lt_json_str(f, u->county);
    fputs(", \"township\": ", f);
    lt_json_str(f, u->township);
    fputs("}}", f);
}

int lt__api_login(struct lt__req *q)
{
    struct lt__jobj *o = malloc(sizeof *o);
    const char *name = NULL, *pw = NULL;
    char ip[64], ukey[96], ikey[96], hex[65];
    int rc;
    if (!o)
        return lt__fail(q, 503, "out_of_memory", "the server is out of memory; try again later");
    if (lt__auth_init()) {
        rc = lt__fail(q, 500, "crypto_error", "the cryptography library could not start");
        goto out;
    }
    rc = lt__body_object(q, " name password ", o);
    if (!rc)
        rc = lt__jreq_str(q, o, "name", &name);
    if (!rc)
        rc = lt__jreq_str(q, o, "password", &pw);
    if (rc)
        goto out;
    int64_t now = (int64_t)time(NULL);
    lt__client_ip(q, ip, sizeof ip);
    snprintf(ukey, sizeof ukey, "u:%.80s", name);
    snprintf(ikey, sizeof ikey, "i:%.80s", ip);
    int64_t wait = lt__rl_wait(ukey, ikey, now);
    if (wait > 0) {
        snprintf(q->retry_after, sizeof q->retry_after, "%lld", (long long)wait);
        rc = lt__fail(q, 429, "too_many_attempts",
                      "too many failed logins for this name or address; try again in %lld s",
                      (long long)wait);
        goto out;
    }
    struct lt_user u;
    int grc = lt_store_user_get(q->st, name, &u);
    if (grc && grc != LT_ENOTFOUND) {
        rc = lt__fail_store(q, grc, "read user");
        goto out;
    }
    pthread_once(&lt__dummy_once, lt__dummy_init);
    bool ok = crypto_pwhash_str_verify(grc ? lt__dummy_hash : u.pw_hash, pw, strlen(pw)) == 0;
    if (grc || !ok || u.disabled) {
        lt__rl_fail(ukey, ikey, now);
        rc = lt__fail(q, 401, "bad_credentials", "unknown user, wrong password or disabled user");
        goto out;
    }
    lt__rl_clear(ukey, now);
    unsigned char raw[32];
    char token[64];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(token, sizeof token, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    lt__token_hash(token, hex);
    int64_t exp = now + lt__session_ttl();
    int src = lt_store_session_add(q->st, hex, u.id, now, exp);
    if (src) {
        rc = lt__fail_store(q, src, "add session");
        goto out;
    }
    char eb[32];
    lt_bj_format_time(exp, eb, sizeof eb);
    fputs("{\"token\": ", q->out);
    lt_json_str(q->out, token);
    fprintf(q->out, ", \"expires_in\": %lld, \"expires\": ", (long long)(exp - now));
    lt_json_str(q->out, eb);
    fputs(", \"user\": ", q->out);
    lt__user_json(q->out, &u);
    fputs("}\n", q->out);
    rc = 200;
out:
    free(o);
    return rc;
}

int lt__api_logout(struct lt__req *q)
{
    int rc = lt_store_session_end(q->st, q->token_hash);
    if (rc)
        return lt__fail_store(q, rc, "end session");
    fputs("{\"ok\": true}\n", q->out);
    return 200;
}

int lt__api_me(struct lt__req *q)
{
    fputs("{\"user\": ", q->out);
    lt__user_json(q->out, &q->user);
    fputs("}\n", q->out);
    return 200;
}

/* ---- the gate ------------------------------------------------------------------------------ */

/* Public information (docs/API.md): health, real-time AQI of sites and cities, and the city
 * ranking of a month or a year. Everything else needs a session. */
static bool lt__is_public(struct lt__req *q, const char *pattern)
{
    /* Public information: real-time AQI (with each station's position, for the public map) and
     * the monthly and annual city ranking. */
    if (!strcmp(pattern, "/api/health") || !strcmp(pattern, "/api/aqi/latest"))
        return true;
    if (!strcmp(pattern, "/api/rank")) {
        const char *level = lt__param(q, "level"), *period = lt__param(q, "period");
        size_t n = period ? strlen(period) : 0;
        return (!level || !strcmp(level, "city")) && (n == 4 || (n == 7 && period[4] == '-'));
    }
    return false;
}

int lt__auth_gate(struct lt__req *q, const char *pattern, bool post)
{
    if (!post && lt__is_public(q, pattern))
        return 0;
    if (!strcmp(pattern, "/api/login"))
        return 0;
    snprintf(q->www_auth, sizeof q->www_auth, "Bearer realm=\"lantian\"");
    const char *h = MHD_lookup_connection_value((struct MHD_Connection *)q->conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h)
        return lt__fail(q, 401, "login_required",
                        "this endpoint needs a session: POST /api/login, then send "
                        "'Authorization: Bearer TOKEN'");
    if (strncmp(h, "Bearer ", 7) != 0 || !h[7] || strlen(h + 7) > 128)
        return lt__fail(q, 401, "bad_token",
                        "the Authorization header is not 'Bearer TOKEN' with a token from "
                        "POST /api/login");
    if (lt__auth_init())
        return lt__fail(q, 500, "crypto_error", "the cryptography library could not start");
    lt__token_hash(h + 7, q->token_hash);
    int rc = lt_store_session_get(q->st, q->token_hash, (int64_t)time(NULL), &q->user, NULL);
    if (rc == LT_ENOTFOUND)
        return lt__fail(q, 401, "bad_token",
                        "the token is unknown, expired or of a disabled user; log in again");
    if (rc)
        return lt__fail_store(q, rc, "read session");
    q->authed = true;
    q->www_auth[0] = '\0';
    return 0;
}

/* ---- scopes -------------------------------------------------------------------------------- */

static bool lt__place_eq(const char *a, const char *b)
{
    struct lt_str x = lt_place_base(lt_str_of(a)), y = lt_place_base(lt_str_of(b));
    return x.len == y.len && !memcmp(x.p, y.p, x.len);
}

bool lt__scoped(const struct lt__req *q)
{
    return q->authed && strcmp(q->user.role, "admin") != 0 && q->user.province[0];
}

bool lt__scope_has_site(const struct lt__req *q, const struct lt_site *s)
{
    const struct lt_user *u = &q->user;
    if (!lt__scoped(q))
        return true;
    /* Counties and townships compare exactly (their suffixes 区/县/镇/街道 are part of the name).
     */
    return lt__place_eq(u->province, s->province) &&
           (!u->city[0] || lt__place_eq(u->city, s->city)) &&
           (!u->county[0] || !strcmp(u->county, s->county)) &&
           (!u->township[0] || !strcmp(u->township, s->township));
}

/* "河南省 郑州 中原区 石佛镇" for messages. */
static const char *lt__scope_text(const struct lt__req *q, char *buf, size_t cap)
{
    const struct lt_user *u = &q->user;
    snprintf(buf, cap, "%s%s%s%s%s%s%s", u->province, u->city[0] ? " " : "", u->city,
             u->county[0] ? " " : "", u->county, u->township[0] ? " " : "", u->township);
    return buf;
}

int lt__scope_province(struct lt__req *q, const char *name)
{
    char sc[280];
    if (!lt__scoped(q) || lt__place_eq(name, q->user.province))
        return 0;
    return lt__fail(q, 403, "out_of_scope", "province '%s' lies outside your scope (%s)", name,
                    lt__scope_text(q, sc, sizeof sc));
}

int lt__scope_site(struct lt__req *q, const struct lt_site *s)
{
    char sc[280];
    if (lt__scope_has_site(q, s))
        return 0;
    return lt__fail(q, 403, "out_of_scope", "site %s (%s %s%s%s) lies outside your scope (%s)",
                    s->code, s->city, s->county, s->township[0] ? " " : "", s->township,
                    lt__scope_text(q, sc, sizeof sc));
}

int lt__scope_site_code(struct lt__req *q, const char *code)
{
    struct lt_site s;
    if (!lt__scoped(q))
        return 0;
    int rc = lt_store_site_get(q->st, code, &s);
    if (rc == LT_ENOTFOUND || rc == LT_EINVAL)
        return lt__fail(q, 404, "not_found", "no site with code '%s'", code);
    if (rc)
        return lt__fail_store(q, rc, "get site");
    return lt__scope_site(q, &s);
}

int lt__scope_area_inside(struct lt__req *q, int level, const char *name)
{
    if (!lt__scoped(q))
        return 1;
    struct lt_site_filter f = {0};
    if (level == 1)
        f.city = name;
    else
        f.county = name;
    struct lt_site *v = NULL;
    int n = 0, inside = 0;
    int rc = lt_store_sites(q->st, &f, &v, &n);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++)
        inside += lt__scope_has_site(q, &v[i]);
    free(v);
    return n > 0 && inside == n;
}

/* An area (LT_AREA_SITE/CITY/COUNTY and its name) may be read when every site it holds lies in
 * the scope: the sites matching the area and those matching the area and the scope are counted. */
int lt__scope_area(struct lt__req *q, int level, const char *name)
{
    char sc[280];
    if (!lt__scoped(q))
        return 0;
    if (level == 0)
        return lt__scope_site_code(q, name);
    int in = lt__scope_area_inside(q, level, name);
    if (in < 0)
        return lt__fail_store(q, in, "list sites");
    if (!in)
        return lt__fail(q, 403, "out_of_scope", "%s '%s' lies outside your scope (%s)",
                        level == 1 ? "city" : "county", name, lt__scope_text(q, sc, sizeof sc));
    return 0;
}

/* Outlets of enterprises have no site: only administrators, enforcement and users whose scope is
 * a whole city or more see them. */
bool lt__scope_sees_outlets(const struct lt__req *q)
{
    if (!lt__scoped(q))
        return true;
    return !strcmp(q->user.role, "enforcement") || !q->user.county[0];
}

/* 0 when visible, 1 when not, or a negative LT_E* from the store. */
int lt__scope_device_hidden(struct lt__req *q, const struct lt_device *d)
{
    if (!lt__scoped(q))
        return 0;
    if (!d->site[0])
        return lt__scope_sees_outlets(q) ? 0 : 1;
    struct lt_site s;
    int rc = lt_store_site_get(q->st, d->site, &s);
    if (rc == LT_ENOTFOUND)
        return 1;
    if (rc)
        return rc;
    return lt__scope_has_site(q, &s) ? 0 : 1;
}

/* ---- POST /api/corrections ----------------------------------------------------------------- */

static bool lt__role_in(const struct lt__req *q, const char *roles)
{
    char k[24];
    snprintf(k, sizeof k, " %s ", q->user.role);
    return strstr(roles, k) != NULL;
}

int lt__need_role(struct lt__req *q, const char *roles)
{
    if (lt__role_in(q, roles))
        return 0;
    return lt__fail(q, 403, "forbidden", "role '%s' may not do this; allowed:%s", q->user.role,
                    roles);
}

int lt__api_correct(struct lt__req *q)
{
    struct lt__jobj *o = malloc(sizeof *o);
    const char *site = NULL, *poll = NULL, *time_s = NULL, *why = NULL;
    char *before = NULL, *after = NULL;
    int rc;
    if (!o)
        return lt__fail(q, 503, "out_of_memory", "the server is out of memory; try again later");
    rc = lt__need_role(q, " admin analyst county ");
    if (!rc)
        rc = lt__body_object(q, " site pollutant time value invalidate why ", o);
    if (!rc)
        rc = lt__jreq_str(q, o, "site", &site);
    if (!rc)
        rc = lt__jreq_str(q, o, "pollutant", &poll);
    if (!rc)
        rc = lt__jreq_str(q, o, "time", &time_s);
    if (!rc)
        rc = lt__jreq_str(q, o, "why", &why);
    if (rc)
        goto out;
    const struct lt__jmember *val = lt__jget(o, "value"), *inv = lt__jget(o, "invalidate");
    bool invalidate = inv && inv->type == LT__JBOOL && inv->b;
    if (inv && inv->type != LT__JBOOL) {
        rc = lt__fail(q, 400, "bad_field", "invalidate must be true or false");
        goto out;
    }
    if ((val != NULL) == invalidate) {
        rc = lt__fail(q, 400, "bad_field",
                      "give exactly one of value (a number) or "
                      "invalidate: true");
        goto out;
    }
    double nv = NAN;
    if (val && (val->type != LT__JNUM || val->num < 0)) {
        rc = lt__fail(q, 400, "bad_field", "value must be a number >= 0");
        goto out;
    }
    if (val)
        nv = val->num;
    if (strlen(why) > 255) {
        rc = lt__fail(q, 400, "bad_field", "why is longer than 255 bytes");
        goto out;
    }
    int factor = lt_pollutant_parse(poll, strlen(poll));
    if (factor < 0) {
        rc = lt__fail(q, 400, "bad_field",
                      "pollutant '%.40s' is not one of SO2, NO2, PM10, CO, O3, PM2.5", poll);
        goto out;
    }
    int64_t ts;
    if (lt_bj_parse_hour(lt_str_of(time_s), &ts) || ts % 3600 != 0) {
        rc = lt__fail(q, 400, "bad_field",
                      "time '%.40s' is not a Beijing hour label YYYY-MM-DD HH:00 (hour ending)",
                      time_s);
        goto out;
    }
    struct lt_site s;
    int src = lt_store_site_get(q->st, site, &s);
    if (src == LT_ENOTFOUND || src == LT_EINVAL) {
        rc = lt__fail(q, 404, "not_found", "no site with code '%.40s'", site);
        goto out;
    }
    if (src) {
        rc = lt__fail_store(q, src, "get site");
        goto out;
    }
    rc = lt__scope_site(q, &s);
    if (rc)
        goto out;
    int64_t now_ms = lt_audit_now_ms(), id = 0;
    src = lt_store_begin(q->st);
    if (src) {
        rc = lt__fail_store(q, src, "begin");
        goto out;
    }
    src = lt_audit_correct(q->st, s.code, factor, ts, nv, q->user.name, why, q->user.name, now_ms,
                           &id, &before, &after);
    if (src) {
        lt_store_rollback(q->st);
        if (src == LT_ENOTFOUND)
            rc = lt__fail(q, 404, "not_found", "no value stored for %s %s at %s", s.code, poll,
                          time_s);
        else
            rc = lt__fail_store(q, src, "record correction");
        goto out;
    }
    src = lt_store_commit(q->st);
    if (src) {
        lt_store_rollback(q->st);
        rc = lt__fail_store(q, src, "commit");
        goto out;
    }
    q->status = 201;
    fprintf(q->out, "{\"id\": %lld, \"before\": %s, \"after\": %s}\n", (long long)id, before,
            after);
    rc = 200;
out:
    free(before);
    free(after);
    free(o);
    return rc;
}

/* ---- POST /api/quarantine/{mn}/adopt ------------------------------------------------------- */

extern const char *const lt_limits_default_ini;
extern const size_t lt_limits_default_ini_len;

/* Is type a source type of the built-in emission limits (config/emission_limits.ini)? 1 yes,
 * 0 no, negative LT_E* when the limits could not be read. */
int lt__source_type_known(const char *type)
{
    struct lt_limits l;
    struct lt_diag d = {0};
    lt_limits_init(&l);
    if (lt_limits_parse(&l, lt_limits_default_ini, lt_limits_default_ini_len, &d)) {
        lt_limits_release(&l);
        return LT_EIO;
    }
    int known = 0;
    for (int i = 0; i < l.n && !known; i++)
        known = l.v[i].type[0] && !strcmp(l.v[i].type, type);
    lt_limits_release(&l);
    return known;
}

/* An optional string member into dst (cap bytes): 0 when absent or copied, else the 400. */
int lt__jopt_str(struct lt__req *q, const struct lt__jobj *o, const char *key, char *dst,
                 size_t cap, bool *given)
{
    const struct lt__jmember *m = lt__jget(o, key);
    *given = false;
    if (!m)
        return 0;
    if (m->type != LT__JSTR || !m->str[0])
        return lt__fail(q, 400, "bad_field", "%s must be a non-empty string", key);
    if (strlen(m->str) >= cap)
        return lt__fail(q, 400, "bad_field", "%s must be at most %zu bytes", key, cap - 1);
    snprintf(dst, cap, "%s", m->str);
    *given = true;
    return 0;
}

int lt__api_adopt(struct lt__req *q)
{
    static const char *const kinds[] = {"air", "cems", "dust", "voc", "power"};
    struct lt__jobj *o = malloc(sizeof *o);
    const char *kind = NULL;
    char *before = NULL, *after = NULL;
    struct lt_device d;
    bool has_site, has_outlet, has_pw, has_type;
    int rc;
    if (!o)
        return lt__fail(q, 503, "out_of_memory", "the server is out of memory; try again later");
    memset(&d, 0, sizeof d);
    rc = lt__need_role(q, " admin ");
    if (!rc)
        rc = lt__body_object(q, " kind site outlet pw source_type ", o);
    if (!rc)
        rc = lt__jreq_str(q, o, "kind", &kind);
    if (!rc)
        rc = lt__jopt_str(q, o, "site", d.site, sizeof d.site, &has_site);
    if (!rc)
        rc = lt__jopt_str(q, o, "outlet", d.outlet, sizeof d.outlet, &has_outlet);
    if (!rc)
        rc = lt__jopt_str(q, o, "pw", d.pw, sizeof d.pw, &has_pw);
    if (!rc)
        rc = lt__jopt_str(q, o, "source_type", d.source_type, sizeof d.source_type, &has_type);
    if (rc)
        goto out;
    bool known = false;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        known = known || !strcmp(kind, kinds[i]);
    if (!known) {
        rc = lt__fail(q, 400, "bad_field", "kind '%.40s' is not one of air, cems, dust, voc, power",
                      kind);
        goto out;
    }
    bool air = !strcmp(kind, "air");
    if (has_site == has_outlet) {
        rc = lt__fail(q, 400, has_site ? "bad_field" : "missing_field",
                      "give one of site (a site code, air stations) or outlet (an enterprise "
                      "outlet id, other kinds)");
        goto out;
    }
    if (air && !has_site) {
        rc = lt__fail(q, 400, "missing_field", "site is required: an air device needs a site");
        goto out;
    }
    if (!air && !has_outlet) {
        rc = lt__fail(q, 400, "bad_field",
                      "site: a %s device belongs to an outlet (give outlet, not site)", kind);
        goto out;
    }
    if (has_type && air) {
        rc = lt__fail(q, 400, "bad_field",
                      "source_type: an air-station device has none (it is for outlets)");
        goto out;
    }
    if (strlen(q->pp[0]) >= sizeof d.mn) {
        rc = lt__fail(q, 404, "not_found", "no MN '%.40s' in quarantine", q->pp[0]);
        goto out;
    }
    snprintf(d.mn, sizeof d.mn, "%s", q->pp[0]);
    lt_str_copy(d.kind, sizeof d.kind, lt_str_of(kind)); /* checked against the kinds above */
    d.crc_mask = LT_CRC_MASK_STD;
    d.enabled = true;
    d.created_at = (int64_t)time(NULL);
    if (has_type) {
        int k = lt__source_type_known(d.source_type);
        if (k < 0) {
            rc = lt__fail(q, 500, "internal", "the built-in emission limits could not be read");
            goto out;
        }
        if (!k) {
            rc = lt__fail(q, 400, "bad_field",
                          "source_type '%.40s' is not a type of the emission limits "
                          "(config/emission_limits.ini)",
                          d.source_type);
            goto out;
        }
    }
    if (air) {
        struct lt_site s;
        int src = lt_store_site_get(q->st, d.site, &s);
        if (src == LT_ENOTFOUND || src == LT_EINVAL) {
            rc = lt__fail(q, 400, "bad_field", "site: no site with code '%.40s'", d.site);
            goto out;
        }
        if (src) {
            rc = lt__fail_store(q, src, "get site");
            goto out;
        }
    }
    int64_t now_ms = lt_audit_now_ms();
    int src = lt_store_begin(q->st);
    if (src) {
        rc = lt__fail_store(q, src, "begin");
        goto out;
    }
    struct lt_quarantine e;
    src = lt_store_quarantine_get(q->st, d.mn, &e);
    if (src == LT_ENOTFOUND) {
        lt_store_rollback(q->st);
        rc = lt__fail(q, 404, "not_found", "no MN '%.40s' in quarantine", d.mn);
        goto out;
    }
    if (!src)
        src = lt_audit_adopt(q->st, &d, q->user.name, now_ms, &before, &after);
    if (src) {
        lt_store_rollback(q->st);
        if (src == LT_EEXIST)
            rc = lt__fail(q, 409, "conflict", "%s is a device already", d.mn);
        else if (src == LT_ENOTFOUND)
            rc = lt__fail(q, 400, "bad_field", "site: no site with code '%.40s'", d.site);
        else if (src == LT_EINVAL)
            rc = lt__fail(q, 400, "bad_field", "the device is not valid (kind, site or outlet)");
        else
            rc = lt__fail_store(q, src, "adopt");
        goto out;
    }
    src = lt_store_commit(q->st);
    if (src) {
        lt_store_rollback(q->st);
        rc = lt__fail_store(q, src, "commit");
        goto out;
    }
    q->status = 201;
    fprintf(q->out, "{\"device\": %s, \"was\": %s}\n", after, before);
    rc = 200;
out:
    free(before);
    free(after);
    free(o);
    return rc;
}

/* ---- POST /api/dust ------------------------------------------------------------------------ */

/* A county user (or any scoped user) may flag an area only when every site of it lies in the
 * scope: the name is taken as a county when some site has that county, else as a city. */
int lt__scope_dust_area(struct lt__req *q, const char *area)
{
    if (!lt__scoped(q))
        return 0;
    struct lt_site_filter f = {.county = area};
    struct lt_site *v = NULL;
    int n = 0;
    int rc = lt_store_sites(q->st, &f, &v, &n);
    free(v);
    if (rc)
        return lt__fail_store(q, rc, "list sites");
    return lt__scope_area(q, n > 0 ? 2 : 1, area);
}

int lt__jreq_date(struct lt__req *q, const struct lt__jobj *o, const char *key, int32_t *day)
{
    const char *s = NULL;
    int rc = lt__jreq_str(q, o, key, &s);
    if (rc)
        return rc;
    if (strlen(s) != 10 || lt_date_parse(lt_str_of(s), day))
        return lt__fail(q, 400, "bad_field", "%s '%.40s' is not a date YYYY-MM-DD", key, s);
    return 0;
}

int lt__api_dust(struct lt__req *q)
{
    struct lt__jobj *o = malloc(sizeof *o);
    const char *area_in = NULL;
    char *before = NULL, *after = NULL, area[64];
    int32_t d0 = 0, d1 = 0;
    int rc;
    if (!o)
        return lt__fail(q, 503, "out_of_memory", "the server is out of memory; try again later");
    rc = lt__need_role(q, " admin analyst county ");
    if (!rc)
        rc = lt__body_object(q, " area from to clear ", o);
    if (!rc)
        rc = lt__jreq_str(q, o, "area", &area_in);
    if (!rc)
        rc = lt__jreq_date(q, o, "from", &d0);
    if (!rc)
        rc = lt__jreq_date(q, o, "to", &d1);
    if (rc)
        goto out;
    const struct lt__jmember *cl = lt__jget(o, "clear");
    if (cl && cl->type != LT__JBOOL) {
        rc = lt__fail(q, 400, "bad_field", "clear must be true or false");
        goto out;
    }
    bool clear = cl && cl->b;
    struct lt_str an = lt_str_trim(lt_str_of(area_in));
    if (!an.len || an.len >= sizeof area) {
        rc = lt__fail(q, 400, "bad_field", "area must be 1 to 63 bytes");
        goto out;
    }
    lt_str_copy(area, sizeof area, an);
    if (d1 < d0 || d1 - d0 >= LT__HTTP_DAILY_DAYS) {
        rc = lt__fail(q, 400, "bad_field",
                      "to: the range from .. to is reversed or longer than %d days",
                      LT__HTTP_DAILY_DAYS);
        goto out;
    }
    rc = lt__scope_dust_area(q, area);
    if (rc)
        goto out;
    int64_t now_ms = lt_audit_now_ms();
    int src = lt_store_begin(q->st);
    if (src) {
        rc = lt__fail_store(q, src, "begin");
        goto out;
    }
    src = lt_audit_dust(q->st, area, d0, d1, clear, q->user.name, now_ms, &before, &after);
    if (src) {
        lt_store_rollback(q->st);
        rc = lt__fail_store(q, src, "set dust days");
        goto out;
    }
    src = lt_store_commit(q->st);
    if (src) {
        lt_store_rollback(q->st);
        rc = lt__fail_store(q, src, "commit");
        goto out;
    }
    q->status = 201;
    fprintf(q->out, "{\"days\": %d, \"clear\": %s, \"before\": %s, \"after\": %s}\n", d1 - d0 + 1,
            clear ? "true" : "false", before, after);
    rc = 200;
out:
    free(before);
    free(after);
    free(o);
    return rc;
}

/* ---- GET /api/audit ------------------------------------------------------------------------ */

int lt__api_audit(struct lt__req *q)
{
    static const char *const hdr[] = {"id",     "at",     "at_ms",  "user",
                                      "action", "object", "before", "after"};
    int rc = lt__need_role(q, " admin ");
    if (rc)
        return rc;
    long long limit = 100, offset = 0;
    rc = lt__param_int(q, "limit", 1, 500, &limit);
    if (!rc)
        rc = lt__param_int(q, "offset", 0, 100000000, &offset);
    if (rc)
        return rc;
    struct lt_audit_filter f = {.action = lt__param(q, "action"),
                                .user = lt__param(q, "user"),
                                .object_prefix = lt__param(q, "object")};
    if ((f.action && (!f.action[0] || strlen(f.action) > 31)) ||
        (f.user && (!f.user[0] || strlen(f.user) > 63)) ||
        (f.object_prefix && (!f.object_prefix[0] || strlen(f.object_prefix) > 127)))
        return lt__fail(q, 400, "bad_parameter",
                        "action (1 .. 31 bytes), user (1 .. 63) and object (a prefix, 1 .. 127) "
                        "must not be empty or longer");
    struct lt_audit *v = NULL;
    int n = 0;
    int64_t total = 0;
    rc = lt_store_audit_list(q->st, (int)limit, (int)offset, &f, &v, &n, &total);
    if (rc)
        return lt__fail_store(q, rc, "read the audit log");
    if (q->fmt != LT_FMT_JSON) {
        /* CSV and Excel: before/after as their JSON text in a cell: a spreadsheet shows them
         * whole. The table holds the page the store gave. */
        struct lt_table *t = lt_table_new(8, hdr);
        for (int i = 0; t && i < n; i++) {
            char tb[32];
            if (lt_table_row(t)) {
                lt_table_free(t);
                t = NULL;
                break;
            }
            lt_bj_format_time(v[i].at_ms / 1000, tb, sizeof tb);
            lt_table_int(t, 0, v[i].id);
            lt_table_str(t, 1, tb);
            lt_table_int(t, 2, v[i].at_ms);
            lt_table_str(t, 3, v[i].user);
            lt_table_str(t, 4, v[i].action);
            lt_table_str(t, 5, v[i].object);
            if (v[i].before_json[0])
                lt_table_str(t, 6, v[i].before_json);
            if (v[i].after_json[0])
                lt_table_str(t, 7, v[i].after_json);
        }
        free(v);
        if (!t)
            return lt__fail_store(q, LT_ENOMEM, "audit log");
        int status = 200;
        if (q->fmt == LT_FMT_XLSX)
            status = lt__export_xlsx(q, t, 0, lt_table_rows(t));
        else
            lt_table_print(t, q->out, LT_FMT_CSV);
        lt_table_free(t);
        return status;
    }
    fprintf(q->out, "{\"total\": %lld, \"offset\": %lld, \"limit\": %lld, \"items\": [",
            (long long)total, offset, limit);
    for (int i = 0; i < n; i++) {
        char tb[32];
        lt_bj_format_time(v[i].at_ms / 1000, tb, sizeof tb);
        fprintf(q->out, "%s\n {\"id\": %lld, \"at\": ", i ? "," : "", (long long)v[i].id);
        lt_json_str(q->out, tb);
        fprintf(q->out, ", \"at_ms\": %lld, \"user\": ", (long long)v[i].at_ms);
        lt_json_str(q->out, v[i].user);
        fputs(", \"action\": ", q->out);
        lt_json_str(q->out, v[i].action);
        fputs(", \"object\": ", q->out);
        lt_json_str(q->out, v[i].object);
        /* before/after are JSON written by lantian itself (cli/audit.c): embedded as they are. */
        fprintf(q->out, ", \"before\": %s, \"after\": %s}",
                v[i].before_json[0] ? v[i].before_json : "null",
                v[i].after_json[0] ? v[i].after_json : "null");
    }
    fputs("\n]}\n", q->out);
    free(v);
    return 200;
}
