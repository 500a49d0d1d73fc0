/* Unit tests of src/cli/xlsx.c: a table as an Excel workbook, built in a private temporary
 * directory that is removed on every path; every error path returns its code and leaves nothing
 * behind (and, under ASan, leaks nothing). The cells themselves are read back with openpyxl in
 * tests/integration/http_xlsx.sh. */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/table.h"
#include "cli/xlsx.h"
#include "lantian/common.h"

static char tmp[256]; /* this test's TMPDIR */

/* Entries in dir (-1 when it cannot be read). */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* Open file descriptors of this process: a temporary file left open on an error path shows here
 * (LeakSanitizer does not see a FILE that is still on libc's list of open streams). */
static int open_fds(void)
{
    return entries("/proc/self/fd");
}

static struct lt_table *sample(int rows)
{
    static const char *const hdr[] = {"code", "name", "CO", "ratio", "eval", "note"};
    struct lt_table *t = lt_table_new(6, hdr);
    assert_non_null(t);
    for (int i = 0; i < rows; i++) {
        char code[16];
        snprintf(code, sizeof code, "%04dA", 1000 + i);
        assert_int_equal(lt_table_row(t), 0);
        lt_table_str(t, 0, code);
        lt_table_str(t, 1, "烟厂");
        lt_table_num(t, 2, 1.2 + i, 1);
        lt_table_num(t, 3, 29.0, 1);
        lt_table_bool(t, 4, i % 2);
        if (i % 3)
            lt_table_str(t, 5, "a, \"b\"\n=1+1");
    }
    return t;
}

static bool is_zip(const char *b, size_t n)
{
    return n > 4 && !memcmp(b, "PK\x03\x04", 4);
}

static void test_build(void **state)
{
    (void)state;
    struct lt_table *t = sample(50);
    struct lt_xlsx_meta m = {.sheet = "小时AQI", .title = "标题", .comments = "GET /api/x"};
    char *buf = NULL, err[256] = "";
    size_t len = 0;
    assert_int_equal(lt_xlsx_build(t, 0, -1, &m, 1u << 20, &buf, &len, err, sizeof err), 0);
    assert_true(is_zip(buf, len));
    assert_int_equal(entries(tmp), 0);
    free(buf);
    /* A page past the end: the header row alone, still a workbook. */
    assert_int_equal(lt_xlsx_build(t, 500, 10, &m, 1u << 20, &buf, &len, err, sizeof err), 0);
    assert_true(is_zip(buf, len));
    free(buf);
    /* No metadata but the sheet's name. */
    struct lt_xlsx_meta bare = {.sheet = "排名"};
    assert_int_equal(lt_xlsx_build(t, 3, 4, &bare, 1u << 20, &buf, &len, err, sizeof err), 0);
    assert_true(is_zip(buf, len));
    free(buf);
    assert_int_equal(entries(tmp), 0);
    lt_table_free(t);
}

/* The cap: refused before building when the page's cells pass it, and after building when the
 * workbook does; nothing is returned and nothing is left. */
static void test_cap(void **state)
{
    (void)state;
    struct lt_table *t = sample(50);
    struct lt_xlsx_meta m = {.sheet = "排名"};
    char *buf = (char *)1, err[256] = "";
    size_t len = 7;
    assert_int_equal(lt_xlsx_build(t, 0, -1, &m, 100, &buf, &len, err, sizeof err), LT_ERANGE);
    assert_null(buf);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err, "over 100"));
    /* The 50 rows take about 2 KB as CSV; a workbook takes more than that (zip and XML parts). */
    assert_int_equal(lt_xlsx_build(t, 0, -1, &m, 4000, &buf, &len, err, sizeof err), LT_ERANGE);
    assert_null(buf);
    assert_non_null(strstr(err, "the workbook would be"));
    assert_int_equal(entries(tmp), 0);
    lt_table_free(t);
}

/* Errors after the workbook, and after the worksheet (with its temporary file), were started. */
static void test_errors(void **state)
{
    (void)state;
    struct lt_table *t = sample(3);
    char *buf = NULL, err[256] = "";
    size_t len = 0;
    int fds = open_fds();
    assert_true(fds > 0);
    struct lt_xlsx_meta bad = {.sheet = "a/b"};
    assert_int_equal(lt_xlsx_build(t, 0, -1, &bad, 1u << 20, &buf, &len, err, sizeof err),
                     LT_ERANGE);
    assert_non_null(strstr(err, "not a valid worksheet name"));
    assert_null(buf);
    assert_int_equal(entries(tmp), 0);

    static const char *const hdr[] = {"why"};
    struct lt_table *big = lt_table_new(1, hdr);
    char *text = malloc(40000);
    assert_non_null(big);
    assert_non_null(text);
    memset(text, 'x', 39999);
    text[39999] = '\0';
    assert_int_equal(lt_table_row(big), 0);
    lt_table_str(big, 0, "short");
    assert_int_equal(lt_table_row(big), 0);
    lt_table_str(big, 0, text);
    free(text);
    struct lt_xlsx_meta m = {.sheet = "数据审核"};
    assert_int_equal(lt_xlsx_build(big, 0, -1, &m, 1u << 20, &buf, &len, err, sizeof err),
                     LT_ERANGE);
    assert_non_null(strstr(err, "row 2, column why"));
    assert_null(buf);
    assert_int_equal(entries(tmp), 0);
    assert_int_equal(open_fds(), fds);
    lt_table_free(big);

    /* A file that cannot be written. */
    char path[320];
    snprintf(path, sizeof path, "%s/no-such-dir/t.xlsx", tmp);
    assert_int_equal(lt_xlsx_save(t, 0, -1, &m, path, tmp, err, sizeof err), LT_EIO);
    assert_non_null(strstr(err, "cannot write"));
    assert_int_equal(entries(tmp), 0);

    /* No usable temporary directory. */
    char gone[320];
    snprintf(gone, sizeof gone, "%s/gone", tmp);
    assert_int_equal(setenv("TMPDIR", gone, 1), 0);
    assert_int_equal(lt_xlsx_build(t, 0, -1, &m, 1u << 20, &buf, &len, err, sizeof err), LT_EIO);
    assert_non_null(strstr(err, "cannot make a temporary directory"));
    assert_null(buf);
    assert_int_equal(setenv("TMPDIR", tmp, 1), 0);
    assert_int_equal(entries(tmp), 0);
    assert_int_equal(open_fds(), fds);
    lt_table_free(t);
}

/* lt_xlsx_save writes where it is told (the CLI's --output). */
static void test_save(void **state)
{
    (void)state;
    struct lt_table *t = sample(5);
    struct lt_xlsx_meta m = {.sheet = "站点"};
    char path[320], err[256] = "";
    snprintf(path, sizeof path, "%s/out.xlsx", tmp);
    assert_int_equal(lt_xlsx_save(t, 0, -1, &m, path, NULL, err, sizeof err), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char head[4];
    assert_int_equal(fread(head, 1, 4, f), 4);
    fclose(f);
    assert_memory_equal(head, "PK\x03\x04", 4);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(entries(tmp), 0);
    lt_table_free(t);
}

/* Several threads at once (the HTTP server's workers): each gets a complete workbook. */
struct job {
    const struct lt_table *t;
    int rc;
    size_t len;
};

static void *build_job(void *arg)
{
    struct job *j = arg;
    struct lt_xlsx_meta m = {.sheet = "设备"};
    char *buf = NULL, err[256];
    j->rc = lt_xlsx_build(j->t, 0, -1, &m, 1u << 22, &buf, &j->len, err, sizeof err);
    if (!j->rc && !is_zip(buf, j->len))
        j->rc = -100;
    free(buf);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    enum { N = 8 };
    struct lt_table *t = sample(2000);
    pthread_t th[N];
    struct job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (struct job){.t = t};
        assert_int_equal(pthread_create(&th[i], NULL, build_job, &jobs[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(jobs[i].rc, 0);
        assert_true(jobs[i].len > 10000);
    }
    assert_int_equal(entries(tmp), 0);
    lt_table_free(t);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/lantian-test-xlsx-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp)) {
        perror("test_xlsx: mkdtemp");
        return 1;
    }
    setenv("TMPDIR", tmp, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build), cmocka_unit_test(test_cap),     cmocka_unit_test(test_errors),
        cmocka_unit_test(test_save),  cmocka_unit_test(test_threads),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (rmdir(tmp)) {
        fprintf(stderr, "test_xlsx: %s is not empty or cannot be removed\n", tmp);
        failed++;
    }
    return failed;
}
