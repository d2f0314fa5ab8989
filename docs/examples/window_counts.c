/*
** window_counts.c — a windowed view over a Kafka topic, its rows printed as
** the view emits them: the ksqlite C API on one page.
**
**   cc window_counts.c $(pkg-config --cflags --libs ksqlite) -o window_counts
**   ./window_counts BROKERS TOPIC            # runs until Ctrl-C or SIGTERM
**   ./window_counts --to-end BROKERS TOPIC   # reads what the topic holds, closes every window
**
** TOPIC holds weather events as JSON, like those `ksqlite-gen` produces:
**   {"city":"Berlin","ts":"2026-11-21T12:00:00.000Z","temperature":6.8,"windspeed":18.0,...}
** Each closed one-minute window of each city is printed as
**   window_start|city|events|average temperature|maximum wind speed
** docs/examples/window_counts.py prints the same rows from Python.
*/
#include <ksqlite.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

/* The pipeline: a stream over the topic (%q: the topic, quoted), a view. */
static const char pipeline[] =
    "CREATE STREAM weather (city TEXT, ts TIMESTAMP, temperature REAL, windspeed REAL)\n"
    "  WITH (topic = %Q, timestamp = 'ts', watermark = '5 seconds');\n"
    "CREATE MATERIALIZED VIEW city_minute AS\n"
    "  SELECT window_start, city, count(*) AS n, printf('%%.1f', avg(temperature)) AS avg_temp,\n"
    "         max(windspeed) AS max_wind\n"
    "    FROM weather GROUP BY city, TUMBLE(ts, '1 minute');";

/* The handle, for the signal handler: ksqlite_stop() is safe there. */
static ksqlite *g_k;

static void on_signal(int sig)
{
    (void)sig;
    ksqlite_stop(g_k);
}

/* The emit callback: called once per row, after the batch that produced it
** commits. The row belongs to ksqlite; read it with sqlite3_column_*(). */
static int print_row(void *pArg, const char *zView, sqlite3_stmt *pRow)
{
    (void)pArg;
    (void)zView;
    printf("%s|%s|%lld|%s|%.1f\n", (const char *)sqlite3_column_text(pRow, 0),
           (const char *)sqlite3_column_text(pRow, 1), sqlite3_column_int64(pRow, 2),
           (const char *)sqlite3_column_text(pRow, 3), sqlite3_column_double(pRow, 4));
    fflush(stdout);
    return 0; /* non-zero would skip the rest of this batch's rows */
}

int main(int argc, char **argv)
{
    int toEnd = argc > 1 && strcmp(argv[1], "--to-end") == 0;
    if (argc != 3 + toEnd) {
        fprintf(stderr, "usage: window_counts [--to-end] BROKERS TOPIC\n");
        return 2;
    }
    const char *zBrokers = argv[1 + toEnd], *zTopic = argv[2 + toEnd];

    ksqlite *k;
    char *zErr = NULL;
    /* NULL: an in-memory database. With a file, a second run would resume
    ** the view where the first one stopped. */
    if (ksqlite_open(NULL, &k, &zErr) != KSQLITE_OK) {
        fprintf(stderr, "window_counts: %s\n", zErr);
        ksqlite_free(zErr);
        return 1;
    }
    ksqlite_set_brokers(k, zBrokers);

    char *zSql = sqlite3_mprintf(pipeline, zTopic);
    int rc = ksqlite_exec(k, zSql, NULL, NULL, &zErr);
    if (rc == KSQLITE_OK) rc = ksqlite_on_emit(k, "city_minute", print_row, NULL, &zErr);
    if (rc == KSQLITE_OK) {
        if (toEnd) {
            /* A batch run: everything up to the end, every window closed. */
            rc = ksqlite_run_to_end(k, 1, &zErr);
        } else {
            /* A service: until a signal stops it (the handle is set first). */
            g_k = k;
            signal(SIGINT, on_signal);
            signal(SIGTERM, on_signal);
            rc = ksqlite_serve(k, &zErr);
        }
    }
    if (rc != KSQLITE_OK) {
        fprintf(stderr, "window_counts: %s", zErr ? zErr : ksqlite_errmsg(k));
        if (ksqlite_error_offset(k) >= 0)
            fprintf(stderr, " (at byte %d of the SQL)", ksqlite_error_offset(k));
        fputc('\n', stderr);
    }
    ksqlite_free(zErr);
    sqlite3_free(zSql);
    ksqlite_close(k);
    return rc == KSQLITE_OK ? 0 : 1;
}
