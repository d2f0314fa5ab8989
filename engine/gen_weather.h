/*
** gen_weather.h — sample weather events (gen_weather.c) and the producer
** that writes them to a Kafka topic (gen_producer.c). Used by `--demo`, the
** `ksqlite-gen` tool, the tests and the benchmarks.
*/
#ifndef KSQ_GEN_WEATHER_H
#define KSQ_GEN_WEATHER_H

#include <signal.h>
#include <stdint.h>

enum { KSQ_GEN_TS_ISO = 0, KSQ_GEN_TS_MS = 1, KSQ_GEN_TS_SECONDS = 2 };

/* Kinds of malformed record (ksq_gen_event.bad). */
enum {
    KSQ_GEN_BAD_NOT_JSON = 1,   /* a line of text, not JSON */
    KSQ_GEN_BAD_TRUNCATED = 2,  /* the first half of a good record */
    KSQ_GEN_BAD_WRONG_TYPE = 3, /* temperature is the string "warm" */
    KSQ_GEN_BAD_NO_TS = 4,      /* the event time is missing */
    KSQ_GEN_BAD_TS = 5,         /* the event time is "yesterday" */
    KSQ_GEN_BAD_EMPTY = 6       /* an empty payload */
};

typedef struct ksq_gen_config {
    uint64_t seed;       /* same seed and config: same events */
    int nCities;         /* cities taking turns (1..ksq_gen_city_count()) */
    int64_t startMs;     /* event time of the first event */
    double eventsPerSec; /* events per second of event time */
    int64_t jitterMs;    /* events arrive up to this much late (out of order) */
    double badFraction;  /* fraction of malformed records, 0..1 */
    int tsFormat;        /* KSQ_GEN_TS_* */
} ksq_gen_config;

typedef struct ksq_gen_event {
    char payload[512]; /* the message value */
    int n;             /* its length */
    const char *key;   /* the message key: the city name (static) */
    int nKey;          /* its length */
    int city;          /* index of the city */
    int64_t ts;        /* event time, epoch ms */
    int bad;           /* 0, or the KSQ_GEN_BAD_* kind of this record */
} ksq_gen_event;

typedef struct ksq_gen ksq_gen;

ksq_gen *ksq_gen_new(const ksq_gen_config *cfg); /* NULL on OOM */
void ksq_gen_next(ksq_gen *g, ksq_gen_event *ev);
void ksq_gen_free(ksq_gen *g);
int ksq_gen_city_count(void);
const char *ksq_gen_city_name(int iCity);

/* The static facts of a city, for enrichment tables. */
typedef struct ksq_gen_city {
    const char *name, *country, *region, *continent;
    double lat, lon; /* degrees */
    double meanTemp; /* yearly mean temperature, deg C */
} ksq_gen_city;
int ksq_gen_city_info(int iCity, ksq_gen_city *pOut); /* 0, or -1 past the end */

/* How to produce generated events. */
typedef struct ksq_gen_produce_opts {
    const char *zBrokers;         /* bootstrap servers */
    const char *zTopic;           /* destination topic */
    int64_t count;                /* events to produce, 0 = until *pStop */
    double rate;                  /* events per wall-clock second, 0 = as fast as possible */
    int byKeyHash;                /* partition by librdkafka's key hash instead of city % n */
    volatile sig_atomic_t *pStop; /* set to stop early (may be NULL) */
    int64_t nProduced;            /* out: events acknowledged by the broker */
} ksq_gen_produce_opts;

/* Produce events until count is reached or *pStop is set; waits for every
** delivery. Returns SQLITE_OK or an error code with *pzErr set. */
int ksq_gen_produce(const ksq_gen_config *cfg, ksq_gen_produce_opts *opts, char **pzErr);

/* Run ksq_gen_produce() in a background thread (for --demo). The options are
** copied; strings must outlive the thread. */
typedef struct ksq_gen_thread ksq_gen_thread;
int ksq_gen_thread_start(const ksq_gen_config *cfg, const ksq_gen_produce_opts *opts,
                         ksq_gen_thread **ppThread);
void ksq_gen_thread_stop(ksq_gen_thread *t);

#endif /* KSQ_GEN_WEATHER_H */
