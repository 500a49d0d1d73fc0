/* lantian — the dashboard's static files (web/dist, built by scripts/build-web.sh), served next to
 * the API by the same daemon: GET/HEAD of a file under the web directory, "/" being index.html.
 *
 * Safety: the request path is the URL as libmicrohttpd decoded it; only [A-Za-z0-9._-] segments
 * separated by single '/' are taken (so no "..", no "." segment, no NUL, no backslash, no
 * absolute path after the root, no hidden files), the file is opened with O_NOFOLLOW and must be a
 * regular file. Anything else is the API's JSON 404.
 *
 * Caching: index.html is revalidated on every load (no-cache); other files may be kept an hour.
 * Every answer carries an ETag (size and modification time) and If-None-Match gives a 304.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http/http_internal.h"

#define LT__STATIC_PATH_MAX 512

struct lt__ctype {
    const char *ext;
    const char *type;
};

static const struct lt__ctype lt__ctypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".map", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

static const char *lt__static_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof(lt__ctypes) / sizeof(lt__ctypes[0]); i++)
            if (!strcmp(dot, lt__ctypes[i].ext))
                return lt__ctypes[i].type;
    return "application/octet-stream";
}

/* "/a/b.js" -> true when every segment is [A-Za-z0-9._-]+, does not start with '.', and there is
 * no empty segment (a trailing '/' is allowed only for the root). */
static bool lt__static_path_ok(const char *url)
{
    if (url[0] != '/')
        return false;
    const char *p = url + 1;
    if (!*p)
        return true;
    while (*p) {
        size_t n = 0;
        if (*p == '.')
            return false; /* ".", "..", hidden files */
        while (p[n] && p[n] != '/') {
            char ch = p[n];
            bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
            if (!ok)
                return false;
            n++;
        }
        if (!n)
            return false;
        p += n;
        if (*p == '/') {
            p++;
            if (!*p)
                return false; /* "/dir/": no directory listings */
        }
    }
    return true;
}

static int lt__static_not_found(struct lt__req *q, const char *url)
{
    return lt__fail(q, 404, "not_found", "no such file or endpoint: %.200s", url);
}

int lt__static(struct lt__req *q, const char *dir, const char *url, const char *method)
{
    struct MHD_Connection *c = q->conn;
    if (!lt__static_path_ok(url) || strlen(url) > 200)
        return lt__static_not_found(q, url);
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return lt__fail(q, 405, "method_not_allowed", "%.20s is not allowed here (GET or HEAD)",
                        method);
    const char *rel = strcmp(url, "/") ? url : "/index.html";
    char path[LT__STATIC_PATH_MAX];
    int w = snprintf(path, sizeof(path), "%s%s", dir, rel);
    if (w < 0 || (size_t)w >= sizeof(path))
        return lt__static_not_found(q, url);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return lt__static_not_found(q, url);
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return lt__static_not_found(q, url);
    }
    char etag[64];
    snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)sb.st_size,
             (unsigned long long)sb.st_mtime);
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    bool fresh = inm && !strcmp(inm, etag);
    struct MHD_Response *r;
    if (fresh) {
        close(fd);
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else {
        r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd); /* takes fd */
        if (!r)
            close(fd);
    }
    if (!r)
        return lt__fail(q, 503, "out_of_memory", "the server is out of memory; try again later");
    bool index = !strcmp(rel, "/index.html");
    if (!fresh)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, lt__static_type(rel));
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                            index ? "no-cache" : "public, max-age=3600");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; "
                            "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    int status = fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK;
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret == MHD_YES ? status : -1;
}
