/*
** gen_weather.c — realistic, deterministic weather events for demos, tests
** and benchmarks, like the city feeds weather pipelines carry:
**
**   {"city":"Berlin","country":"DE","region":"Western Europe","continent":"Europe",
**    "ts":"2026-11-21T13:00:00.125Z","temperature":4.2,"windspeed":17.3,
**    "humidity":81,"weathercode":3}
**
** Event i belongs to city i mod nCities (so counts per city are even) and
** happens at start + i / eventsPerSec, minus a uniform jitter up to jitterMs
** (out-of-order arrival). Temperatures follow each city's climate: a yearly
** cycle by hemisphere, a daily cycle by longitude, and a persistent random
** anomaly; wind and humidity wander the same way; the weather code follows
** from them. A fraction of records is malformed on purpose, one kind at a
** time. The same seed and configuration give the same bytes.
*/
#include "ksq_int.h"
#include "gen_weather.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct city_info {
    const char *name, *country, *region, *continent;
    double lat, lon;  /* degrees */
    double meanTemp;  /* yearly mean, deg C */
    double amplitude; /* half the summer-winter difference, deg C */
    double wind;      /* typical wind speed, km/h */
    double humidity;  /* typical relative humidity, % */
} city_info;

static const city_info cities[] = {
    {"Berlin", "DE", "Western Europe", "Europe", 52.5, 13.4, 10.0, 9.5, 14, 74},
    {"London", "GB", "Northern Europe", "Europe", 51.5, -0.1, 11.3, 7.0, 16, 77},
    {"Paris", "FR", "Western Europe", "Europe", 48.9, 2.4, 12.3, 8.0, 13, 75},
    {"Madrid", "ES", "Southern Europe", "Europe", 40.4, -3.7, 15.0, 10.5, 10, 57},
    {"Rome", "IT", "Southern Europe", "Europe", 41.9, 12.5, 15.8, 8.5, 10, 70},
    {"Oslo", "NO", "Northern Europe", "Europe", 59.9, 10.8, 6.3, 10.5, 11, 73},
    {"Stockholm", "SE", "Northern Europe", "Europe", 59.3, 18.1, 7.6, 10.0, 13, 75},
    {"Helsinki", "FI", "Northern Europe", "Europe", 60.2, 24.9, 6.1, 11.5, 15, 78},
    {"Reykjavik", "IS", "Northern Europe", "Europe", 64.1, -21.9, 5.0, 5.5, 24, 78},
    {"Dublin", "IE", "Northern Europe", "Europe", 53.3, -6.3, 10.0, 5.0, 19, 81},
    {"Lisbon", "PT", "Southern Europe", "Europe", 38.7, -9.1, 17.4, 6.0, 16, 70},
    {"Athens", "GR", "Southern Europe", "Europe", 38.0, 23.7, 18.5, 9.5, 12, 62},
    {"Vienna", "AT", "Western Europe", "Europe", 48.2, 16.4, 11.4, 10.0, 15, 70},
    {"Warsaw", "PL", "Eastern Europe", "Europe", 52.2, 21.0, 8.5, 11.0, 14, 78},
    {"Prague", "CZ", "Eastern Europe", "Europe", 50.1, 14.4, 9.2, 10.0, 13, 75},
    {"Budapest", "HU", "Eastern Europe", "Europe", 47.5, 19.0, 11.9, 11.5, 11, 68},
    {"Bucharest", "RO", "Eastern Europe", "Europe", 44.4, 26.1, 11.6, 12.5, 10, 72},
    {"Kyiv", "UA", "Eastern Europe", "Europe", 50.5, 30.5, 8.4, 12.5, 13, 77},
    {"Moscow", "RU", "Eastern Europe", "Europe", 55.8, 37.6, 5.8, 14.0, 12, 77},
    {"Amsterdam", "NL", "Western Europe", "Europe", 52.4, 4.9, 10.5, 7.0, 20, 82},
    {"Brussels", "BE", "Western Europe", "Europe", 50.8, 4.4, 10.8, 7.5, 17, 79},
    {"Zurich", "CH", "Western Europe", "Europe", 47.4, 8.5, 9.8, 9.0, 9, 75},
    {"Copenhagen", "DK", "Northern Europe", "Europe", 55.7, 12.6, 9.1, 8.5, 19, 80},
    {"Edinburgh", "GB", "Northern Europe", "Europe", 55.9, -3.2, 9.0, 5.5, 20, 80},
    {"Munich", "DE", "Western Europe", "Europe", 48.1, 11.6, 9.1, 9.5, 11, 74},
    {"Hamburg", "DE", "Western Europe", "Europe", 53.6, 10.0, 9.6, 8.5, 18, 80},
    {"Barcelona", "ES", "Southern Europe", "Europe", 41.4, 2.2, 16.5, 7.5, 12, 70},
    {"Milan", "IT", "Southern Europe", "Europe", 45.5, 9.2, 13.8, 10.5, 7, 72},
    {"Istanbul", "TR", "Western Asia", "Asia", 41.0, 29.0, 15.0, 9.0, 17, 72},
    {"New York", "US", "Northern America", "North America", 40.7, -74.0, 13.2, 12.0, 16, 63},
    {"Chicago", "US", "Northern America", "North America", 41.9, -87.6, 10.4, 14.5, 17, 68},
    {"Los Angeles", "US", "Northern America", "North America", 34.1, -118.2, 18.6, 4.5, 11, 65},
    {"San Francisco", "US", "Northern America", "North America", 37.8, -122.4, 14.6, 3.5, 17, 73},
    {"Seattle", "US", "Northern America", "North America", 47.6, -122.3, 11.5, 7.5, 12, 75},
    {"Denver", "US", "Northern America", "North America", 39.7, -105.0, 10.4, 11.5, 14, 52},
    {"Houston", "US", "Northern America", "North America", 29.8, -95.4, 21.0, 8.0, 12, 75},
    {"Miami", "US", "Northern America", "North America", 25.8, -80.2, 25.2, 4.0, 15, 73},
    {"Boston", "US", "Northern America", "North America", 42.4, -71.1, 10.9, 12.5, 19, 66},
    {"Phoenix", "US", "Northern America", "North America", 33.4, -112.1, 24.0, 10.5, 10, 36},
    {"Anchorage", "US", "Northern America", "North America", 61.2, -149.9, 2.8, 11.5, 11, 70},
    {"Honolulu", "US", "Polynesia", "Oceania", 21.3, -157.9, 25.4, 2.0, 18, 70},
    {"Toronto", "CA", "Northern America", "North America", 43.7, -79.4, 9.4, 13.5, 16, 72},
    {"Montreal", "CA", "Northern America", "North America", 45.5, -73.6, 6.8, 15.5, 15, 72},
    {"Vancouver", "CA", "Northern America", "North America", 49.3, -123.1, 11.0, 6.5, 12, 79},
    {"Calgary", "CA", "Northern America", "North America", 51.0, -114.1, 4.4, 12.5, 16, 60},
    {"Mexico City", "MX", "Central America", "North America", 19.4, -99.1, 16.7, 3.0, 8, 60},
    {"Havana", "CU", "Caribbean", "North America", 23.1, -82.4, 25.2, 3.0, 14, 77},
    {"Panama City", "PA", "Central America", "North America", 9.0, -79.5, 27.0, 0.8, 10, 80},
    {"Bogota", "CO", "South America", "South America", 4.7, -74.1, 14.0, 0.6, 9, 79},
    {"Lima", "PE", "South America", "South America", -12.0, -77.0, 19.4, 3.5, 12, 82},
    {"Quito", "EC", "South America", "South America", -0.2, -78.5, 14.0, 0.5, 8, 76},
    {"Santiago", "CL", "South America", "South America", -33.4, -70.7, 14.5, 6.5, 9, 65},
    {"Buenos Aires", "AR", "South America", "South America", -34.6, -58.4, 18.0, 6.0, 15, 72},
    {"Montevideo", "UY", "South America", "South America", -34.9, -56.2, 16.6, 5.5, 18, 75},
    {"Sao Paulo", "BR", "South America", "South America", -23.6, -46.6, 19.3, 3.5, 10, 79},
    {"Rio de Janeiro", "BR", "South America", "South America", -22.9, -43.2, 23.8, 3.0, 10, 79},
    {"Manaus", "BR", "South America", "South America", -3.1, -60.0, 27.4, 0.8, 6, 83},
    {"Caracas", "VE", "South America", "South America", 10.5, -66.9, 22.0, 1.0, 9, 76},
    {"Cairo", "EG", "Northern Africa", "Africa", 30.0, 31.2, 22.4, 7.5, 13, 55},
    {"Lagos", "NG", "Western Africa", "Africa", 6.5, 3.4, 27.0, 1.5, 11, 83},
    {"Nairobi", "KE", "Eastern Africa", "Africa", -1.3, 36.8, 19.0, 1.5, 14, 70},
    {"Johannesburg", "ZA", "Southern Africa", "Africa", -26.2, 28.0, 16.0, 5.0, 13, 58},
    {"Cape Town", "ZA", "Southern Africa", "Africa", -33.9, 18.4, 17.0, 4.5, 22, 72},
    {"Casablanca", "MA", "Northern Africa", "Africa", 33.6, -7.6, 18.2, 4.5, 14, 78},
    {"Algiers", "DZ", "Northern Africa", "Africa", 36.8, 3.1, 18.0, 6.5, 13, 70},
    {"Tunis", "TN", "Northern Africa", "Africa", 36.8, 10.2, 18.7, 7.5, 15, 68},
    {"Accra", "GH", "Western Africa", "Africa", 5.6, -0.2, 27.0, 1.3, 13, 80},
    {"Dakar", "SN", "Western Africa", "Africa", 14.7, -17.5, 24.5, 3.0, 18, 72},
    {"Addis Ababa", "ET", "Eastern Africa", "Africa", 9.0, 38.7, 16.0, 1.5, 11, 62},
    {"Kinshasa", "CD", "Middle Africa", "Africa", -4.3, 15.3, 25.5, 1.5, 8, 79},
    {"Khartoum", "SD", "Northern Africa", "Africa", 15.6, 32.5, 30.0, 5.0, 14, 28},
    {"Dar es Salaam", "TZ", "Eastern Africa", "Africa", -6.8, 39.3, 26.0, 2.0, 13, 78},
    {"Tokyo", "JP", "Eastern Asia", "Asia", 35.7, 139.7, 15.8, 10.5, 12, 65},
    {"Osaka", "JP", "Eastern Asia", "Asia", 34.7, 135.5, 16.9, 10.5, 11, 64},
    {"Sapporo", "JP", "Eastern Asia", "Asia", 43.1, 141.4, 9.2, 12.5, 14, 70},
    {"Seoul", "KR", "Eastern Asia", "Asia", 37.6, 127.0, 12.5, 14.5, 9, 64},
    {"Beijing", "CN", "Eastern Asia", "Asia", 39.9, 116.4, 12.9, 15.5, 10, 55},
    {"Shanghai", "CN", "Eastern Asia", "Asia", 31.2, 121.5, 17.1, 11.5, 13, 74},
    {"Hong Kong", "HK", "Eastern Asia", "Asia", 22.3, 114.2, 23.5, 6.5, 14, 78},
    {"Taipei", "TW", "Eastern Asia", "Asia", 25.0, 121.6, 23.0, 6.0, 11, 77},
    {"Ulaanbaatar", "MN", "Eastern Asia", "Asia", 47.9, 106.9, -0.4, 20.0, 11, 60},
    {"Bangkok", "TH", "South-eastern Asia", "Asia", 13.8, 100.5, 28.6, 2.0, 9, 73},
    {"Singapore", "SG", "South-eastern Asia", "Asia", 1.4, 103.8, 27.5, 0.8, 10, 84},
    {"Jakarta", "ID", "South-eastern Asia", "Asia", -6.2, 106.8, 27.8, 0.7, 9, 80},
    {"Manila", "PH", "South-eastern Asia", "Asia", 14.6, 121.0, 27.9, 1.8, 11, 76},
    {"Hanoi", "VN", "South-eastern Asia", "Asia", 21.0, 105.9, 23.6, 6.0, 10, 79},
    {"Kuala Lumpur", "MY", "South-eastern Asia", "Asia", 3.1, 101.7, 27.6, 0.6, 7, 80},
    {"Mumbai", "IN", "Southern Asia", "Asia", 19.1, 72.9, 27.2, 2.5, 12, 74},
    {"Delhi", "IN", "Southern Asia", "Asia", 28.6, 77.2, 25.0, 9.0, 9, 60},
    {"Kolkata", "IN", "Southern Asia", "Asia", 22.6, 88.4, 26.8, 5.5, 8, 76},
    {"Bangalore", "IN", "Southern Asia", "Asia", 13.0, 77.6, 24.0, 2.5, 12, 65},
    {"Karachi", "PK", "Southern Asia", "Asia", 24.9, 67.0, 26.0, 6.0, 14, 65},
    {"Dhaka", "BD", "Southern Asia", "Asia", 23.8, 90.4, 26.0, 5.5, 9, 75},
    {"Kathmandu", "NP", "Southern Asia", "Asia", 27.7, 85.3, 18.0, 6.5, 6, 72},
    {"Tehran", "IR", "Southern Asia", "Asia", 35.7, 51.4, 17.5, 13.0, 11, 40},
    {"Dubai", "AE", "Western Asia", "Asia", 25.2, 55.3, 28.0, 7.5, 14, 58},
    {"Riyadh", "SA", "Western Asia", "Asia", 24.7, 46.7, 26.6, 10.5, 12, 28},
    {"Tel Aviv", "IL", "Western Asia", "Asia", 32.1, 34.8, 20.6, 6.5, 13, 68},
    {"Baku", "AZ", "Western Asia", "Asia", 40.4, 49.9, 14.7, 11.0, 24, 70},
    {"Tashkent", "UZ", "Central Asia", "Asia", 41.3, 69.3, 14.8, 14.0, 8, 55},
    {"Almaty", "KZ", "Central Asia", "Asia", 43.2, 76.9, 10.0, 14.0, 7, 60},
    {"Novosibirsk", "RU", "Eastern Europe", "Europe", 55.0, 82.9, 1.7, 19.0, 13, 72},
    {"Yakutsk", "RU", "Eastern Europe", "Europe", 62.0, 129.7, -8.8, 29.0, 8, 68},
    {"Sydney", "AU", "Australia and New Zealand", "Oceania", -33.9, 151.2, 18.0, 5.0, 17, 65},
    {"Melbourne", "AU", "Australia and New Zealand", "Oceania", -37.8, 145.0, 15.0, 5.5, 17, 64},
    {"Brisbane", "AU", "Australia and New Zealand", "Oceania", -27.5, 153.0, 20.5, 5.0, 13, 65},
    {"Perth", "AU", "Australia and New Zealand", "Oceania", -31.9, 115.9, 18.5, 6.0, 18, 58},
    {"Darwin", "AU", "Australia and New Zealand", "Oceania", -12.5, 130.8, 27.6, 2.0, 12, 70},
    {"Auckland", "NZ", "Australia and New Zealand", "Oceania", -36.8, 174.8, 15.3, 4.0, 19, 78},
    {"Wellington", "NZ", "Australia and New Zealand", "Oceania", -41.3, 174.8, 12.8, 3.5, 26, 79},
    {"Suva", "FJ", "Melanesia", "Oceania", -18.1, 178.4, 25.5, 1.5, 14, 80},
    {"Nuuk", "GL", "Northern America", "North America", 64.2, -51.7, -1.4, 9.0, 17, 78},
    {"McMurdo", "AQ", "Antarctica", "Antarctica", -77.8, 166.7, -17.0, 12.0, 20, 65},
};
#define N_CITIES ((int)(sizeof cities / sizeof cities[0]))

/* State of one city's weather that persists between its events. */
typedef struct city_state {
    double tempAnomaly; /* deg C, AR(1) around 0 */
    double windFactor;  /* multiplies the city's typical wind, AR(1) around 1 */
    double humAnomaly;  /* % points, AR(1) around 0 */
} city_state;

struct ksq_gen {
    ksq_gen_config cfg;
    uint64_t rng;      /* splitmix64 state */
    int64_t i;         /* index of the next event */
    city_state *aCity; /* per-city state */
};

int ksq_gen_city_count(void)
{
    return N_CITIES;
}

/* splitmix64: small, fast and good enough for synthetic data. */
static uint64_t next_u64(ksq_gen *g)
{
    uint64_t z = (g->rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double uniform(ksq_gen *g)
{
    return (double)(next_u64(g) >> 11) * (1.0 / 9007199254740992.0);
}

/* Approximately normal (sum of uniforms), mean 0 and deviation 1. */
static double normal(ksq_gen *g)
{
    return uniform(g) + uniform(g) + uniform(g) + uniform(g) - 2.0;
}

ksq_gen *ksq_gen_new(const ksq_gen_config *cfg)
{
    ksq_gen *g = sqlite3_malloc(sizeof *g);
    if (!g) return NULL;
    memset(g, 0, sizeof *g);
    g->cfg = *cfg;
    if (g->cfg.nCities < 1 || g->cfg.nCities > N_CITIES) g->cfg.nCities = N_CITIES;
    if (g->cfg.eventsPerSec <= 0) g->cfg.eventsPerSec = 100;
    g->rng = cfg->seed * 0x2545F4914F6CDD1DULL + 1;
    g->aCity = sqlite3_malloc64(sizeof(city_state) * (size_t)g->cfg.nCities);
    if (!g->aCity) {
        sqlite3_free(g);
        return NULL;
    }
    for (int c = 0; c < g->cfg.nCities; c++) {
        g->aCity[c].tempAnomaly = normal(g) * 2.0;
        g->aCity[c].windFactor = 1.0 + normal(g) * 0.3;
        g->aCity[c].humAnomaly = normal(g) * 5.0;
    }
    return g;
}

void ksq_gen_free(ksq_gen *g)
{
    if (!g) return;
    sqlite3_free(g->aCity);
    sqlite3_free(g);
}

const char *ksq_gen_city_name(int iCity)
{
    return iCity >= 0 && iCity < N_CITIES ? cities[iCity].name : NULL;
}

int ksq_gen_city_info(int iCity, ksq_gen_city *pOut)
{
    if (iCity < 0 || iCity >= N_CITIES) return -1;
    const city_info *c = &cities[iCity];
    pOut->name = c->name;
    pOut->country = c->country;
    pOut->region = c->region;
    pOut->continent = c->continent;
    pOut->lat = c->lat;
    pOut->lon = c->lon;
    pOut->meanTemp = c->meanTemp;
    return 0;
}

/* WMO weather code from the conditions. */
static int weather_code(ksq_gen *g, double temp, double wind, double humidity)
{
    double r = uniform(g);
    if (humidity > 92 && wind < 8 && r < 0.5) return 45; /* fog */
    if (humidity > 85) {
        if (wind > 55 && temp > 15 && r < 0.4) return 95; /* thunderstorm */
        if (temp < 0.5) return r < 0.6 ? 71 : 73;         /* snow */
        return r < 0.3 ? 51 : r < 0.7 ? 61 : r < 0.9 ? 63 : 65;
    }
    if (humidity > 75) return r < 0.3 ? 80 : 3;
    if (humidity > 60) return r < 0.5 ? 2 : 3;
    return r < 0.6 ? 0 : 1;
}

/* Append the event time in the configured format. */
static int format_ts(const ksq_gen *g, int64_t ms, char *out, size_t n)
{
    char t[KSQ_TIME_TEXT_LEN + 1];
    switch (g->cfg.tsFormat) {
    case KSQ_GEN_TS_MS: return snprintf(out, n, "%lld", (long long)ms);
    case KSQ_GEN_TS_SECONDS: return snprintf(out, n, "%.3f", (double)ms / 1000.0);
    default:
        ksq_time_format(ms, t);
        t[10] = 'T';
        return snprintf(out, n, "\"%sZ\"", t);
    }
}

void ksq_gen_next(ksq_gen *g, ksq_gen_event *ev)
{
    const ksq_gen_config *cfg = &g->cfg;
    int64_t i = g->i++;
    int c = (int)(i % cfg->nCities);
    const city_info *ci = &cities[c];
    city_state *cs = &g->aCity[c];
    int64_t nominal = cfg->startMs + (int64_t)((double)i * 1000.0 / cfg->eventsPerSec);
    int64_t ts = nominal - (cfg->jitterMs > 0 ? (int64_t)(uniform(g) * (double)cfg->jitterMs) : 0);

    /* Climate: yearly cycle (coldest mid-January in the north, mid-July in
    ** the south) and daily cycle (warmest at 15:00 local solar time). */
    double days = (double)ts / 86400000.0;
    double doy = fmod(days, 365.2425);
    double season = -cos(2 * M_PI * (doy - 15) / 365.2425) * (ci->lat >= 0 ? 1 : -1);
    double localHour = fmod(fmod(days, 1.0) * 24.0 + ci->lon / 15.0 + 48.0, 24.0);
    double daily = cos(2 * M_PI * (localHour - 15.0) / 24.0);
    cs->tempAnomaly = 0.995 * cs->tempAnomaly + normal(g) * 0.25;
    cs->windFactor = 1.0 + 0.99 * (cs->windFactor - 1.0) + normal(g) * 0.06;
    if (cs->windFactor < 0.05) cs->windFactor = 0.05;
    cs->humAnomaly = 0.99 * cs->humAnomaly + normal(g) * 1.2;

    double temp = ci->meanTemp + ci->amplitude * season + 4.0 * daily + cs->tempAnomaly;
    double wind = ci->wind * cs->windFactor * (1.0 + 0.3 * daily) + fabs(normal(g)) * 2.0;
    if (uniform(g) < 0.002) wind += 45 + uniform(g) * 40; /* a gust front */
    double hum = ci->humidity + cs->humAnomaly - 12.0 * daily;
    if (hum < 5) hum = 5;
    if (hum > 100) hum = 100;
    int code = weather_code(g, temp, wind, hum);

    char tsText[48];
    format_ts(g, ts, tsText, sizeof tsText);
    ev->city = c;
    ev->key = ci->name;
    ev->nKey = (int)strlen(ci->name);
    ev->ts = ts;
    ev->bad = 0;
    ev->n = snprintf(ev->payload, sizeof ev->payload,
                     "{\"city\":\"%s\",\"country\":\"%s\",\"region\":\"%s\",\"continent\":\"%s\","
                     "\"ts\":%s,\"temperature\":%.1f,\"windspeed\":%.1f,\"humidity\":%d,"
                     "\"weathercode\":%d}",
                     ci->name, ci->country, ci->region, ci->continent, tsText, temp, wind,
                     (int)(hum + 0.5), code);

    if (cfg->badFraction > 0 && uniform(g) < cfg->badFraction) {
        ev->bad = 1 + (int)(next_u64(g) % 6);
        switch (ev->bad) {
        case KSQ_GEN_BAD_NOT_JSON:
            ev->n =
                snprintf(ev->payload, sizeof ev->payload, "%s;%.1f;sensor offline", ci->name, temp);
            break;
        case KSQ_GEN_BAD_TRUNCATED: ev->n /= 2; break;
        case KSQ_GEN_BAD_WRONG_TYPE:
            ev->n =
                snprintf(ev->payload, sizeof ev->payload,
                         "{\"city\":\"%s\",\"country\":\"%s\",\"ts\":%s,\"temperature\":\"warm\","
                         "\"windspeed\":%.1f,\"humidity\":%d,\"weathercode\":%d}",
                         ci->name, ci->country, tsText, wind, (int)hum, code);
            break;
        case KSQ_GEN_BAD_NO_TS:
            ev->n = snprintf(ev->payload, sizeof ev->payload,
                             "{\"city\":\"%s\",\"country\":\"%s\",\"temperature\":%.1f}", ci->name,
                             ci->country, temp);
            break;
        case KSQ_GEN_BAD_TS:
            ev->n = snprintf(ev->payload, sizeof ev->payload,
                             "{\"city\":\"%s\",\"country\":\"%s\",\"ts\":\"yesterday\","
                             "\"temperature\":%.1f}",
                             ci->name, ci->country, temp);
            break;
        case KSQ_GEN_BAD_EMPTY: ev->n = 0; break;
        }
    }
}
