-- weather.sql — a city weather pipeline, the kind that runs on Kafka -> Spark -> HDFS today.
--
--   ksqlite --brokers kafka:9092 weather.db -f sql/weather.sql        # as a service
--   ksqlite --demo                                                     # on live sample data
--
-- Events look like {"city":"Berlin","country":"DE","region":"Western Europe",
-- "continent":"Europe","ts":"2026-11-21T13:00:00.125Z","temperature":4.2,
-- "windspeed":17.3,"humidity":81,"weathercode":3}, keyed by city.
-- Every statement is IF NOT EXISTS: rerunning the script resumes the pipeline.

CREATE STREAM IF NOT EXISTS weather (
    city TEXT, country TEXT, region TEXT, continent TEXT, ts TIMESTAMP,
    temperature REAL, windspeed REAL, humidity INTEGER, weathercode INTEGER
) WITH (topic = 'weather', format = 'json', timestamp = 'ts', watermark = '5 seconds',
        idle_timeout = '30 seconds', max_future = '1 hour');

-- Reference data joined to events: where each city is and its climate zone.
CREATE TABLE IF NOT EXISTS cities (
    city TEXT PRIMARY KEY, country TEXT, region TEXT, continent TEXT,
    lat REAL, lon REAL, climate TEXT);
INSERT OR IGNORE INTO cities VALUES
  ('Berlin', 'DE', 'Western Europe', 'Europe', 52.5, 13.4, 'temperate'),
  ('London', 'GB', 'Northern Europe', 'Europe', 51.5, -0.1, 'temperate'),
  ('Paris', 'FR', 'Western Europe', 'Europe', 48.9, 2.4, 'temperate'),
  ('Madrid', 'ES', 'Southern Europe', 'Europe', 40.4, -3.7, 'temperate'),
  ('Rome', 'IT', 'Southern Europe', 'Europe', 41.9, 12.5, 'temperate'),
  ('Oslo', 'NO', 'Northern Europe', 'Europe', 59.9, 10.8, 'subpolar'),
  ('Stockholm', 'SE', 'Northern Europe', 'Europe', 59.3, 18.1, 'subpolar'),
  ('Helsinki', 'FI', 'Northern Europe', 'Europe', 60.2, 24.9, 'subpolar'),
  ('Reykjavik', 'IS', 'Northern Europe', 'Europe', 64.1, -21.9, 'subpolar'),
  ('Dublin', 'IE', 'Northern Europe', 'Europe', 53.3, -6.3, 'temperate'),
  ('Lisbon', 'PT', 'Southern Europe', 'Europe', 38.7, -9.1, 'temperate'),
  ('Athens', 'GR', 'Southern Europe', 'Europe', 38.0, 23.7, 'temperate'),
  ('Vienna', 'AT', 'Western Europe', 'Europe', 48.2, 16.4, 'temperate'),
  ('Warsaw', 'PL', 'Eastern Europe', 'Europe', 52.2, 21.0, 'temperate'),
  ('Prague', 'CZ', 'Eastern Europe', 'Europe', 50.1, 14.4, 'temperate'),
  ('Budapest', 'HU', 'Eastern Europe', 'Europe', 47.5, 19.0, 'temperate'),
  ('Bucharest', 'RO', 'Eastern Europe', 'Europe', 44.4, 26.1, 'temperate'),
  ('Kyiv', 'UA', 'Eastern Europe', 'Europe', 50.5, 30.5, 'temperate'),
  ('Moscow', 'RU', 'Eastern Europe', 'Europe', 55.8, 37.6, 'subpolar'),
  ('Amsterdam', 'NL', 'Western Europe', 'Europe', 52.4, 4.9, 'temperate'),
  ('Brussels', 'BE', 'Western Europe', 'Europe', 50.8, 4.4, 'temperate'),
  ('Zurich', 'CH', 'Western Europe', 'Europe', 47.4, 8.5, 'temperate'),
  ('Copenhagen', 'DK', 'Northern Europe', 'Europe', 55.7, 12.6, 'subpolar'),
  ('Edinburgh', 'GB', 'Northern Europe', 'Europe', 55.9, -3.2, 'subpolar'),
  ('Munich', 'DE', 'Western Europe', 'Europe', 48.1, 11.6, 'temperate'),
  ('Hamburg', 'DE', 'Western Europe', 'Europe', 53.6, 10.0, 'temperate'),
  ('Barcelona', 'ES', 'Southern Europe', 'Europe', 41.4, 2.2, 'temperate'),
  ('Milan', 'IT', 'Southern Europe', 'Europe', 45.5, 9.2, 'temperate'),
  ('Istanbul', 'TR', 'Western Asia', 'Asia', 41.0, 29.0, 'temperate'),
  ('New York', 'US', 'Northern America', 'North America', 40.7, -74.0, 'temperate'),
  ('Chicago', 'US', 'Northern America', 'North America', 41.9, -87.6, 'temperate'),
  ('Los Angeles', 'US', 'Northern America', 'North America', 34.1, -118.2, 'subtropical'),
  ('San Francisco', 'US', 'Northern America', 'North America', 37.8, -122.4, 'temperate'),
  ('Seattle', 'US', 'Northern America', 'North America', 47.6, -122.3, 'temperate'),
  ('Denver', 'US', 'Northern America', 'North America', 39.7, -105.0, 'temperate'),
  ('Houston', 'US', 'Northern America', 'North America', 29.8, -95.4, 'subtropical'),
  ('Miami', 'US', 'Northern America', 'North America', 25.8, -80.2, 'subtropical'),
  ('Boston', 'US', 'Northern America', 'North America', 42.4, -71.1, 'temperate'),
  ('Phoenix', 'US', 'Northern America', 'North America', 33.4, -112.1, 'subtropical'),
  ('Anchorage', 'US', 'Northern America', 'North America', 61.2, -149.9, 'subpolar'),
  ('Honolulu', 'US', 'Polynesia', 'Oceania', 21.3, -157.9, 'tropical'),
  ('Toronto', 'CA', 'Northern America', 'North America', 43.7, -79.4, 'temperate'),
  ('Montreal', 'CA', 'Northern America', 'North America', 45.5, -73.6, 'temperate'),
  ('Vancouver', 'CA', 'Northern America', 'North America', 49.3, -123.1, 'temperate'),
  ('Calgary', 'CA', 'Northern America', 'North America', 51.0, -114.1, 'temperate'),
  ('Mexico City', 'MX', 'Central America', 'North America', 19.4, -99.1, 'tropical'),
  ('Havana', 'CU', 'Caribbean', 'North America', 23.1, -82.4, 'tropical'),
  ('Panama City', 'PA', 'Central America', 'North America', 9.0, -79.5, 'tropical'),
  ('Bogota', 'CO', 'South America', 'South America', 4.7, -74.1, 'tropical'),
  ('Lima', 'PE', 'South America', 'South America', -12.0, -77.0, 'tropical'),
  ('Quito', 'EC', 'South America', 'South America', -0.2, -78.5, 'tropical'),
  ('Santiago', 'CL', 'South America', 'South America', -33.4, -70.7, 'subtropical'),
  ('Buenos Aires', 'AR', 'South America', 'South America', -34.6, -58.4, 'subtropical'),
  ('Montevideo', 'UY', 'South America', 'South America', -34.9, -56.2, 'subtropical'),
  ('Sao Paulo', 'BR', 'South America', 'South America', -23.6, -46.6, 'subtropical'),
  ('Rio de Janeiro', 'BR', 'South America', 'South America', -22.9, -43.2, 'tropical'),
  ('Manaus', 'BR', 'South America', 'South America', -3.1, -60.0, 'tropical'),
  ('Caracas', 'VE', 'South America', 'South America', 10.5, -66.9, 'tropical'),
  ('Cairo', 'EG', 'Northern Africa', 'Africa', 30.0, 31.2, 'subtropical'),
  ('Lagos', 'NG', 'Western Africa', 'Africa', 6.5, 3.4, 'tropical'),
  ('Nairobi', 'KE', 'Eastern Africa', 'Africa', -1.3, 36.8, 'tropical'),
  ('Johannesburg', 'ZA', 'Southern Africa', 'Africa', -26.2, 28.0, 'subtropical'),
  ('Cape Town', 'ZA', 'Southern Africa', 'Africa', -33.9, 18.4, 'subtropical'),
  ('Casablanca', 'MA', 'Northern Africa', 'Africa', 33.6, -7.6, 'subtropical'),
  ('Algiers', 'DZ', 'Northern Africa', 'Africa', 36.8, 3.1, 'temperate'),
  ('Tunis', 'TN', 'Northern Africa', 'Africa', 36.8, 10.2, 'temperate'),
  ('Accra', 'GH', 'Western Africa', 'Africa', 5.6, -0.2, 'tropical'),
  ('Dakar', 'SN', 'Western Africa', 'Africa', 14.7, -17.5, 'tropical'),
  ('Addis Ababa', 'ET', 'Eastern Africa', 'Africa', 9.0, 38.7, 'tropical'),
  ('Kinshasa', 'CD', 'Middle Africa', 'Africa', -4.3, 15.3, 'tropical'),
  ('Khartoum', 'SD', 'Northern Africa', 'Africa', 15.6, 32.5, 'tropical'),
  ('Dar es Salaam', 'TZ', 'Eastern Africa', 'Africa', -6.8, 39.3, 'tropical'),
  ('Tokyo', 'JP', 'Eastern Asia', 'Asia', 35.7, 139.7, 'temperate'),
  ('Osaka', 'JP', 'Eastern Asia', 'Asia', 34.7, 135.5, 'subtropical'),
  ('Sapporo', 'JP', 'Eastern Asia', 'Asia', 43.1, 141.4, 'temperate'),
  ('Seoul', 'KR', 'Eastern Asia', 'Asia', 37.6, 127.0, 'temperate'),
  ('Beijing', 'CN', 'Eastern Asia', 'Asia', 39.9, 116.4, 'temperate'),
  ('Shanghai', 'CN', 'Eastern Asia', 'Asia', 31.2, 121.5, 'subtropical'),
  ('Hong Kong', 'HK', 'Eastern Asia', 'Asia', 22.3, 114.2, 'tropical'),
  ('Taipei', 'TW', 'Eastern Asia', 'Asia', 25.0, 121.6, 'subtropical'),
  ('Ulaanbaatar', 'MN', 'Eastern Asia', 'Asia', 47.9, 106.9, 'temperate'),
  ('Bangkok', 'TH', 'South-eastern Asia', 'Asia', 13.8, 100.5, 'tropical'),
  ('Singapore', 'SG', 'South-eastern Asia', 'Asia', 1.4, 103.8, 'tropical'),
  ('Jakarta', 'ID', 'South-eastern Asia', 'Asia', -6.2, 106.8, 'tropical'),
  ('Manila', 'PH', 'South-eastern Asia', 'Asia', 14.6, 121.0, 'tropical'),
  ('Hanoi', 'VN', 'South-eastern Asia', 'Asia', 21.0, 105.9, 'tropical'),
  ('Kuala Lumpur', 'MY', 'South-eastern Asia', 'Asia', 3.1, 101.7, 'tropical'),
  ('Mumbai', 'IN', 'Southern Asia', 'Asia', 19.1, 72.9, 'tropical'),
  ('Delhi', 'IN', 'Southern Asia', 'Asia', 28.6, 77.2, 'subtropical'),
  ('Kolkata', 'IN', 'Southern Asia', 'Asia', 22.6, 88.4, 'tropical'),
  ('Bangalore', 'IN', 'Southern Asia', 'Asia', 13.0, 77.6, 'tropical'),
  ('Karachi', 'PK', 'Southern Asia', 'Asia', 24.9, 67.0, 'subtropical'),
  ('Dhaka', 'BD', 'Southern Asia', 'Asia', 23.8, 90.4, 'subtropical'),
  ('Kathmandu', 'NP', 'Southern Asia', 'Asia', 27.7, 85.3, 'subtropical'),
  ('Tehran', 'IR', 'Southern Asia', 'Asia', 35.7, 51.4, 'temperate'),
  ('Dubai', 'AE', 'Western Asia', 'Asia', 25.2, 55.3, 'subtropical'),
  ('Riyadh', 'SA', 'Western Asia', 'Asia', 24.7, 46.7, 'subtropical'),
  ('Tel Aviv', 'IL', 'Western Asia', 'Asia', 32.1, 34.8, 'subtropical'),
  ('Baku', 'AZ', 'Western Asia', 'Asia', 40.4, 49.9, 'temperate'),
  ('Tashkent', 'UZ', 'Central Asia', 'Asia', 41.3, 69.3, 'temperate'),
  ('Almaty', 'KZ', 'Central Asia', 'Asia', 43.2, 76.9, 'temperate'),
  ('Novosibirsk', 'RU', 'Eastern Europe', 'Europe', 55.0, 82.9, 'subpolar'),
  ('Yakutsk', 'RU', 'Eastern Europe', 'Europe', 62.0, 129.7, 'subpolar'),
  ('Sydney', 'AU', 'Australia and New Zealand', 'Oceania', -33.9, 151.2, 'subtropical'),
  ('Melbourne', 'AU', 'Australia and New Zealand', 'Oceania', -37.8, 145.0, 'temperate'),
  ('Brisbane', 'AU', 'Australia and New Zealand', 'Oceania', -27.5, 153.0, 'subtropical'),
  ('Perth', 'AU', 'Australia and New Zealand', 'Oceania', -31.9, 115.9, 'subtropical'),
  ('Darwin', 'AU', 'Australia and New Zealand', 'Oceania', -12.5, 130.8, 'tropical'),
  ('Auckland', 'NZ', 'Australia and New Zealand', 'Oceania', -36.8, 174.8, 'temperate'),
  ('Wellington', 'NZ', 'Australia and New Zealand', 'Oceania', -41.3, 174.8, 'temperate'),
  ('Suva', 'FJ', 'Melanesia', 'Oceania', -18.1, 178.4, 'tropical'),
  ('Nuuk', 'GL', 'Northern America', 'North America', 64.2, -51.7, 'subpolar'),
  ('McMurdo', 'AQ', 'Antarctica', 'Antarctica', -77.8, 166.7, 'polar');

-- Per-city minute statistics: one row per city and minute once it is complete.
CREATE MATERIALIZED VIEW IF NOT EXISTS city_minute AS
  SELECT city, country, window_start, window_end,
         count(*) AS readings,
         round(avg(temperature), 2) AS avg_temp,
         min(temperature) AS min_temp,
         max(temperature) AS max_temp,
         round(stddev(temperature), 3) AS sd_temp,
         round(avg(humidity), 1) AS avg_humidity,
         max(windspeed) AS max_wind
    FROM weather
   GROUP BY city, country, TUMBLE(ts, '1 minute');

-- Hourly trends per city over a sliding window, updated as events arrive.
CREATE MATERIALIZED VIEW IF NOT EXISTS city_hourly_trend AS
  SELECT city, window_start, window_end,
         count(*) AS readings,
         round(avg(temperature), 2) AS avg_temp,
         round(last(temperature) - first(temperature), 2) AS temp_change,
         max(windspeed) AS max_wind
    FROM weather
   GROUP BY city, HOP(ts, '1 hour', '5 minutes')
  EMIT CHANGES;

-- Wind and heat alerts, with their levels.
CREATE MATERIALIZED VIEW IF NOT EXISTS weather_alerts AS
  SELECT city, country, ts, temperature, windspeed,
         CASE WHEN windspeed >= 90 THEN 'storm'
              WHEN windspeed >= 62 THEN 'gale'
              WHEN windspeed >= 50 THEN 'strong wind' END AS wind_level,
         CASE WHEN temperature >= 40 THEN 'extreme heat'
              WHEN temperature >= 32 THEN 'heat'
              WHEN temperature <= -25 THEN 'extreme cold' END AS heat_level
    FROM weather
   WHERE windspeed >= 50 OR temperature >= 32 OR temperature <= -25;

-- The alerts as Hive-partitioned CSV files for BI tools and Spark:
-- out/alerts/country=DE/city=Berlin/date=2026-11-21/hour=13/part-00000042.csv
-- Files roll at 64 MB or every 5 minutes, and are published atomically.
CREATE SINK IF NOT EXISTS alert_files FROM weather_alerts
  INTO FILES 'out/alerts' FORMAT CSV
  PARTITION BY (country, city, date(ts) AS date, strftime('%H', ts) AS hour)
  WITH (roll_size = '64 MB', roll_interval = '5 minutes', csv_formula_guard = true);

-- Each city's own statistics so far, and the readings more than three
-- standard deviations away from them.
CREATE MATERIALIZED VIEW IF NOT EXISTS city_baseline AS
  SELECT city, count(*) AS readings, avg(temperature) AS mean_temp, stddev(temperature) AS sd_temp
    FROM weather GROUP BY city;

CREATE MATERIALIZED VIEW IF NOT EXISTS temperature_anomalies AS
  SELECT w.city, w.ts, w.temperature,
         round(b.mean_temp, 2) AS mean_temp, round(b.sd_temp, 2) AS sd_temp,
         round((w.temperature - b.mean_temp) / b.sd_temp, 2) AS z_score
    FROM weather w JOIN city_baseline b ON b.city = w.city
   WHERE b.readings >= 30 AND abs(w.temperature - b.mean_temp) > 3 * b.sd_temp;

-- Events enriched with the cities table: climate zones per minute.
CREATE MATERIALIZED VIEW IF NOT EXISTS climate_minute AS
  SELECT c.climate, c.continent, window_start,
         count(*) AS readings, count(DISTINCT w.city) AS cities,
         round(avg(w.temperature), 2) AS avg_temp, max(w.windspeed) AS max_wind
    FROM weather w JOIN cities c ON c.city = w.city
   GROUP BY c.climate, c.continent, TUMBLE(ts, '1 minute');
