/*
** main.c — the `ksqlite` program: command line, embedded Kafka, demo, and
** scripts run as services.
**
**   ksqlite [OPTIONS] [DATABASE] [SQL ...]
**   ksqlite weather.db -f pipeline.sql      # runs the views until SIGTERM
**   ksqlite --demo                          # live sample data, then the shell
**
** Like sqlite3: SQL arguments run in order; with none, a terminal on stdin
** gets the interactive shell and anything else is read as a script. A
** script that defines continuous views keeps serving them afterwards;
** SIGTERM or SIGINT commits and exits 0. Logs are one line each on stderr
** (--log-level info shows the service's start and stop):
**
**   2026-11-23T20:20:00.836Z ksqlite[25930] INFO: running 6 view(s); SIGTERM or SIGINT stops them
*/
#include "shell.h"
#include "../engine/gen_weather.h"
#include "../engine/ksq_int.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const char ksq_demo_sql[]; /* sql/weather.sql, embedded at build time */

static const char usage_text[] =
    "Usage: ksqlite [OPTIONS] [DATABASE] [SQL ...]\n"
    "\n"
    "Runs SQL over Kafka topics. DATABASE defaults to an in-memory database;\n"
    "SQL arguments run in order; with none, a terminal gets the interactive\n"
    "shell and other input is read as a script.\n"
    "\n"
    "Options (one or two dashes):\n"
    "  -f FILE            run a SQL script (repeatable)\n"
    "  --brokers LIST     default Kafka bootstrap servers (also KSQLITE_BROKERS)\n"
    "  --mock[=N]         start an embedded Kafka (N brokers, default 1) and use it\n"
    "  --demo             --mock plus live sample weather data and the demo views\n"
    "  --exit-at-end      stop once every source is read to its end\n"
    "  --drain            with --exit-at-end: close every open window at the end\n"
    "  -csv -json -table -box -line -list -markdown -tabs   output mode\n"
    "  -header -noheader  show or hide column names\n"
    "  -nullvalue TEXT    text for NULL values\n"
    "  -bail              stop at the first error (default for scripts)\n"
    "  --log-level LEVEL  error, warn (default), info or debug\n"
    "  --metrics ADDR     serve Prometheus metrics at http://ADDR/metrics\n"
    "                     (HOST:PORT; PORT alone is 127.0.0.1:PORT, 0 picks one)\n"
    "  --help, --version\n";

typedef struct cli_options {
    const char *zDb;     /* database path, NULL for in-memory */
    const char **azFile; /* -f scripts */
    int nFile;
    const char **azSql; /* SQL arguments */
    int nSql;
    const char *zBrokers; /* --brokers */
    const char *zMetrics; /* --metrics ADDR */
    int mockBrokers;      /* --mock[=N]: brokers, 0 for no mock */
    int demo;             /* --demo */
    int exitAtEnd;        /* --exit-at-end */
    int drain;            /* --drain */
    int bail;             /* -bail given */
    int script;           /* input came from -f or a non-terminal stdin */
    int viewsBefore;      /* views created before the user's input (the demo's) */
} cli_options;

/* Parse argv into o and the shell's output settings. Returns 0, or 1 after
** printing an error, or 2 when the program should exit 0 (--help). */
static int parse_args(int argc, char **argv, cli_options *o, shell *sh)
{
    o->azFile = calloc((size_t)argc, sizeof(char *));
    o->azSql = calloc((size_t)argc, sizeof(char *));
    if (!o->azFile || !o->azSql) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == 0) {
            if (!o->zDb) {
                o->zDb = a;
            } else {
                o->azSql[o->nSql++] = a;
            }
            continue;
        }
        const char *opt = a + (a[1] == '-' ? 2 : 1);
        const char *eq = strchr(opt, '=');
        size_t nOpt = eq ? (size_t)(eq - opt) : strlen(opt);
#define IS(name) (nOpt == strlen(name) && strncmp(opt, name, nOpt) == 0)
        const char *value = eq ? eq + 1 : NULL;
        int takesValue =
            IS("f") || IS("brokers") || IS("log-level") || IS("nullvalue") || IS("metrics");
        if (takesValue && !value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ksqlite: option %s needs a value\n", a);
                return 1;
            }
            value = argv[++i];
        }
        int m;
        if (IS("f")) {
            o->azFile[o->nFile++] = value;
        } else if (IS("brokers")) {
            o->zBrokers = value;
        } else if (IS("metrics")) {
            o->zMetrics = value;
        } else if (IS("mock")) {
            o->mockBrokers = value ? atoi(value) : 1;
            if (o->mockBrokers < 1 || o->mockBrokers > 16) {
                fprintf(stderr, "ksqlite: --mock takes 1 to 16 brokers\n");
                return 1;
            }
        } else if (IS("demo")) {
            o->demo = 1;
            if (!o->mockBrokers) o->mockBrokers = 1;
        } else if (IS("exit-at-end")) {
            o->exitAtEnd = 1;
        } else if (IS("drain")) {
            o->drain = 1;
        } else if (IS("header") || IS("headers")) {
            sh->header = 1;
        } else if (IS("noheader")) {
            sh->header = 0;
        } else if (IS("nullvalue")) {
            free(sh->zNull);
            sh->zNull = strdup(value);
        } else if (IS("bail")) {
            o->bail = 1;
        } else if (IS("log-level")) {
            static const char *const levels[] = {"error", "warn", "info", "debug"};
            int found = 0;
            for (int l = 0; l < 4; l++) {
                if (strcmp(value, levels[l]) == 0) ksq_log_level = l, found = 1;
            }
            if (!found) {
                fprintf(stderr, "ksqlite: --log-level takes error, warn, info or debug\n");
                return 1;
            }
        } else if (IS("help") || IS("h")) {
            fputs(usage_text, stdout);
            return 2;
        } else if (IS("version")) {
            printf("ksqlite %s (SQLite %s)\n", ksqlite_version(), sqlite3_libversion());
            return 2;
        } else if (!eq && (m = output_mode_from_name(opt)) >= 0) {
            sh->mode = (shell_mode)m;
        } else {
            fprintf(stderr, "ksqlite: unknown option %s (see --help)\n", a);
            return 1;
        }
#undef IS
    }
    if (o->drain && !o->exitAtEnd) {
        fprintf(stderr, "ksqlite: --drain needs --exit-at-end\n");
        return 1;
    }
    return 0;
}

/* Start the demo: the weather topic, a live generator and the demo script. */
static int start_demo(shell *sh, ksqlite_mock *mock, ksq_gen_thread **ppGen)
{
    char *zErr = NULL;
    if (ksqlite_mock_create_topic(mock, "weather", 4, &zErr) != KSQLITE_OK) {
        fprintf(stderr, "ksqlite: %s\n", zErr);
        ksqlite_free(zErr);
        return 1;
    }
    ksq_gen_config cfg = {0};
    cfg.seed = (uint64_t)ksq_now_ms();
    cfg.nCities = 24;
    cfg.eventsPerSec = 20;
    cfg.startMs = ksq_now_ms();
    cfg.jitterMs = 2000;
    cfg.badFraction = 0.005;
    /* A first burst of history so queries have something to show at once. */
    ksq_gen_produce_opts opts = {0};
    opts.zBrokers = ksqlite_mock_bootstrap(mock);
    opts.zTopic = "weather";
    opts.count = 600;
    cfg.startMs -= 30 * 1000;
    if (ksq_gen_produce(&cfg, &opts, &zErr) != KSQLITE_OK) {
        fprintf(stderr, "ksqlite: demo data: %s\n", zErr);
        ksqlite_free(zErr);
        return 1;
    }
    cfg.seed++;
    cfg.startMs = ksq_now_ms();
    opts.count = 0;
    opts.rate = 20;
    if (ksq_gen_thread_start(&cfg, &opts, ppGen) != KSQLITE_OK) {
        fprintf(stderr, "ksqlite: cannot start the demo data generator\n");
        return 1;
    }
    return input_run_text(sh, ksq_demo_sql, "weather.sql");
}

static shell *g_sh; /* for the signal handlers of scripts and services */

/* SIGTERM or SIGINT outside the interactive prompt: stop gracefully. The
** running statement is interrupted (a push query ends normally), the rest
** of the input is skipped, and ksqlite_serve() commits and returns. */
static void on_stop_signal(int sig)
{
    (void)sig;
    if (!g_sh) return;
    g_sh->sigterm = 1;
    g_sh->sigint = 1;
    if (g_sh->busy) ksqlite_interrupt(g_sh->k);
    ksqlite_stop(g_sh->k);
}

/* Route SIGTERM and SIGINT to on_stop_signal() for sh. */
static void catch_stop_signals(shell *sh)
{
    g_sh = sh;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* After the input: --exit-at-end reads every stream to its end (and with
** --drain closes every window); a script that defined views keeps serving
** them until SIGTERM or SIGINT, committing before it exits. */
static int run_views(shell *sh, const cli_options *o)
{
    ksqlite *k = sh->k;
    if (ksqlite_view_count(k) == 0) return 0;
    catch_stop_signals(sh);
    int rc = 0;
    char *zErr = NULL;
    if (o->exitAtEnd) {
        if (ksqlite_run_to_end(k, o->drain, &zErr) != KSQLITE_OK) {
            ksq_log(KSQ_LOG_ERROR, "%s", zErr ? zErr : "error");
            rc = 1;
        }
    } else if (!sh->interactive && o->script && ksqlite_views_created(k) > o->viewsBefore &&
               !sh->sigterm) {
        ksq_log(KSQ_LOG_INFO, "running %d view(s); SIGTERM or SIGINT stops them",
                ksqlite_view_count(k));
        if (ksqlite_serve(k, &zErr) != KSQLITE_OK) {
            ksq_log(KSQ_LOG_ERROR, "%s", zErr ? zErr : "error");
            rc = 1;
        } else {
            ksq_log(KSQ_LOG_INFO, "stopped; every view committed");
        }
    }
    ksqlite_free(zErr);
    return rc;
}

static const char demo_banner[] =
    "ksqlite demo: live weather events stream into the embedded Kafka topic 'weather'; the\n"
    "views of sql/weather.sql keep up with them in the background. Try (Tab completes):\n"
    "  .mode box\n"
    "  SELECT city, count(*) AS n FROM weather GROUP BY city ORDER BY n DESC LIMIT 5;\n"
    "  SELECT city, temperature, windspeed FROM weather EMIT CHANGES;   -- live; Ctrl-C stops\n"
    "  SELECT * FROM city_minute EMIT CHANGES;             -- a row per city as each minute "
    "closes\n"
    "  SELECT * FROM city_baseline ORDER BY mean_temp DESC LIMIT 5;\n"
    "  SELECT stage, error FROM ksq_dead_letters;          -- the malformed records\n"
    "  .streams   .views   .stats   .schema city_minute   .help   .quit\n";

int main(int argc, char **argv)
{
    shell sh;
    cli_options o;
    memset(&sh, 0, sizeof sh);
    memset(&o, 0, sizeof o);
    /* Characters (for readline and column widths), not numbers: "%f" keeps its '.'. */
    setlocale(LC_CTYPE, "");
    sh.out = stdout;
    sh.zNull = strdup("");
    int rc = parse_args(argc, argv, &o, &sh);
    if (rc) {
        free(o.azFile);
        free(o.azSql);
        free(sh.zNull);
        return rc == 2 ? 0 : 1;
    }
    char *zErr = NULL;
    if (ksqlite_open(o.zDb, &sh.k, &zErr) != KSQLITE_OK) {
        fprintf(stderr, "ksqlite: %s\n", zErr ? zErr : "cannot open the database");
        ksqlite_free(zErr);
        return 1;
    }
    if (o.zBrokers) ksqlite_set_brokers(sh.k, o.zBrokers);
    if (o.zMetrics) {
        int port = 0;
        if (ksqlite_metrics_listen(sh.k, o.zMetrics, &port, &zErr) != KSQLITE_OK) {
            fprintf(stderr, "ksqlite: %s\n", zErr ? zErr : "cannot serve the metrics");
            ksqlite_free(zErr);
            ksqlite_close(sh.k);
            return 1;
        }
        const char *colon = strrchr(o.zMetrics, ':');
        int hostLen = colon && colon > o.zMetrics ? (int)(colon - o.zMetrics) : 0;
        fprintf(stderr, "ksqlite: metrics at http://%.*s:%d/metrics\n", hostLen ? hostLen : 9,
                hostLen ? o.zMetrics : "127.0.0.1", port);
    }

    ksqlite_mock *mock = NULL;
    ksq_gen_thread *gen = NULL;
    int interactiveStdin = isatty(STDIN_FILENO);
    if (o.mockBrokers) {
        if (ksqlite_mock_start(o.mockBrokers, &mock, &zErr) != KSQLITE_OK) {
            fprintf(stderr, "ksqlite: %s\n", zErr ? zErr : "cannot start the embedded Kafka");
            ksqlite_free(zErr);
            ksqlite_close(sh.k);
            return 1;
        }
        ksqlite_set_brokers(sh.k, ksqlite_mock_bootstrap(mock));
        fprintf(stderr, "ksqlite: embedded Kafka (mock, %d broker%s) at %s\n", o.mockBrokers,
                o.mockBrokers > 1 ? "s" : "", ksqlite_mock_bootstrap(mock));
    }

    int nErr = 0;
    sh.bail = o.bail || !interactiveStdin || o.nFile > 0 || o.nSql > 0;
    int toPrompt = o.nSql == 0 && o.nFile == 0 && interactiveStdin;
    if (!toPrompt) catch_stop_signals(&sh);
    if (o.demo) nErr += start_demo(&sh, mock, &gen);
    o.viewsBefore = ksqlite_views_created(sh.k);
    for (int i = 0; i < o.nFile && !(nErr && sh.bail) && !sh.quit && !sh.sigterm; i++) {
        nErr += input_run_file(&sh, o.azFile[i]);
        o.script = 1;
    }
    for (int i = 0; i < o.nSql && !(nErr && sh.bail) && !sh.quit && !sh.sigterm; i++) {
        char zSource[32];
        snprintf(zSource, sizeof zSource, "argument %d", i + 1);
        nErr += input_run_text(&sh, o.azSql[i], zSource);
    }
    if (o.nSql == 0 && o.nFile == 0 && !(nErr && sh.bail) && !sh.quit && !sh.sigterm) {
        if (interactiveStdin) {
            sh.interactive = 1;
            sh.bail = o.bail;
            if (o.demo) fputs(demo_banner, stdout);
            printf("ksqlite %s — enter SQL ending with ';', .help for help, Tab completes\n",
                   ksqlite_version());
            repl_run(&sh);
            /* Errors at the prompt were shown there; they do not fail the exit. */
            sh.nErr = 0;
        } else {
            input_run_file(&sh, "-");
            o.script = 1;
        }
    }
    nErr += sh.nErr;
    if (!nErr && !sh.quit) nErr += run_views(&sh, &o);
    g_sh = NULL;
    if (sh.out != stdout) fclose(sh.out);
    output_reset(&sh);
    ksq_gen_thread_stop(gen);
    ksqlite_close(sh.k);
    ksqlite_mock_stop(mock);
    free(o.azFile);
    free(o.azSql);
    free(sh.zNull);
    return nErr ? 1 : 0;
}
