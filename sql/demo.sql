-- demo.sql — the saved demo: the live weather topic as a table.
-- `ksqlite --demo` runs it against the embedded Kafka while sample events arrive.

CREATE VIRTUAL TABLE IF NOT EXISTS weather USING kafka(
    topic = 'weather', format = 'json', timestamp = 'ts',
    columns = 'city TEXT, country TEXT, region TEXT, continent TEXT, ts TIMESTAMP,
               temperature REAL, windspeed REAL, humidity INTEGER, weathercode INTEGER');
