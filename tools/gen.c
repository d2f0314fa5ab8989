/*
** gen.c — `ksqlite-gen`: sample weather events into Kafka or onto stdout.
**
**   ksqlite-gen --brokers 127.0.0.1:39123 --topic weather --count 100000
**   ksqlite-gen --count 1000 --stdout --keys | kcat -P -b ... -t weather -K '\t'
**
** Deterministic: the same --seed and options give the same events.
*/
#include "../engine/gen_weather.h"
#include "../engine/ksq_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static const char usage_text[] =
    "Usage: ksqlite-gen [OPTIONS]\n"
    "  --brokers LIST   Kafka bootstrap servers (or KSQLITE_BROKERS)\n"
    "  --topic NAME     destination topic (default weather)\n"
    "  --stdout         print payloads, one per line, instead of producing\n"
    "  --keys           with --stdout: print KEY<TAB>PAYLOAD\n"
    "  --count N        events to generate (default 1000; 0 = until SIGTERM)\n"
    "  --rate N         events per wall-clock second (default 0 = as fast as possible)\n"
    "  --eps N          events per second of event time (default: --rate, or 100)\n"
    "  --start TIME     event time of the first event (default: now)\n"
    "  --cities N       number of cities (default all)\n"
    "  --jitter MS      out-of-order arrival up to MS milliseconds (default 0)\n"
    "  --bad FRACTION   fraction of malformed records (default 0)\n"
    "  --seed N         random seed (default 1)\n"
    "  --ts iso|ms|s    event time format (default iso)\n"
    "  --by-key         partition by key hash (default: city index mod partitions)\n"
    "  --cities-csv     print the cities (name, country, region, continent, lat, lon,\n"
    "                   mean_temp) as CSV with a header, and exit\n";

int main(int argc, char **argv)
{
    ksq_gen_config cfg = {0};
    ksq_gen_produce_opts po = {0};
    int toStdout = 0, keys = 0, haveEps = 0;
    cfg.seed = 1;
    cfg.startMs = ksq_now_ms();
    po.zTopic = "weather";
    po.count = 1000;
    po.zBrokers = getenv("KSQLITE_BROKERS");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        while (*a == '-') a++;
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (strcmp(a, name) == 0 && v && (i++, 1))
        if (strcmp(a, "cities-csv") == 0) {
            printf("city,country,region,continent,lat,lon,mean_temp\n");
            ksq_gen_city c;
            for (int ci = 0; ksq_gen_city_info(ci, &c) == 0; ci++) {
                printf("%s,%s,%s,%s,%.1f,%.1f,%.1f\n", c.name, c.country, c.region, c.continent,
                       c.lat, c.lon, c.meanTemp);
            }
            return 0;
        } else if (strcmp(a, "stdout") == 0) {
            toStdout = 1;
        } else if (strcmp(a, "keys") == 0) {
            keys = 1;
        } else if (strcmp(a, "by-key") == 0) {
            po.byKeyHash = 1;
        } else if (OPT("brokers")) {
            po.zBrokers = v;
        } else if (OPT("topic")) {
            po.zTopic = v;
        } else if (OPT("count")) {
            po.count = atoll(v);
        } else if (OPT("rate")) {
            po.rate = atof(v);
        } else if (OPT("eps")) {
            cfg.eventsPerSec = atof(v), haveEps = 1;
        } else if (OPT("start")) {
            int64_t ms;
            if (ksq_time_parse(v, -1, &ms)) {
                fprintf(stderr, "ksqlite-gen: bad --start time: %s\n", v);
                return 1;
            }
            cfg.startMs = ms;
        } else if (OPT("cities")) {
            cfg.nCities = atoi(v);
        } else if (OPT("jitter")) {
            cfg.jitterMs = atoll(v);
        } else if (OPT("bad")) {
            cfg.badFraction = atof(v);
        } else if (OPT("seed")) {
            cfg.seed = strtoull(v, NULL, 10);
        } else if (OPT("ts")) {
            cfg.tsFormat = strcmp(v, "ms") == 0  ? KSQ_GEN_TS_MS
                           : strcmp(v, "s") == 0 ? KSQ_GEN_TS_SECONDS
                                                 : KSQ_GEN_TS_ISO;
        } else {
            fputs(usage_text, strcmp(a, "help") == 0 ? stdout : stderr);
            return strcmp(a, "help") == 0 ? 0 : 1;
        }
#undef OPT
    }
    if (!haveEps) cfg.eventsPerSec = po.rate > 0 ? po.rate : 100;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    po.pStop = &g_stop;

    if (toStdout) {
        ksq_gen *g = ksq_gen_new(&cfg);
        if (!g) return 1;
        for (int64_t i = 0; (po.count == 0 || i < po.count) && !g_stop; i++) {
            ksq_gen_event ev;
            ksq_gen_next(g, &ev);
            if (keys) printf("%s\t", ev.key);
            fwrite(ev.payload, 1, (size_t)ev.n, stdout);
            putchar('\n');
        }
        ksq_gen_free(g);
        return fflush(stdout) != 0;
    }
    if (!po.zBrokers) {
        fprintf(stderr, "ksqlite-gen: give --brokers (or KSQLITE_BROKERS), or --stdout\n");
        return 1;
    }
    char *zErr = NULL;
    if (ksq_gen_produce(&cfg, &po, &zErr) != SQLITE_OK) {
        fprintf(stderr, "ksqlite-gen: %s\n", zErr ? zErr : "error");
        sqlite3_free(zErr);
        return 1;
    }
    fprintf(stderr, "ksqlite-gen: %lld events delivered to %s\n", (long long)po.nProduced,
            po.zTopic);
    return 0;
}
