# 0042: options that would make the Kafka client load or run code are
# refused with a clear error, in each spelling (WITH, dotted bare key,
# virtual table) and never reach librdkafka (a kinit command that would
# create a file does not run); TLS verification cannot be turned off
# silently: refused in every spelling, also when the value comes from the
# environment, and with insecure_tls = 'yes' a warning says so each time.
. "$(dirname "$0")/lib.sh"
start_broker --topic t:1
printf 'k\t{"id":1}\nk\t{"id":2}\n' | produce_lines t
DB="$WORK/opts.db"

err() { # err SQL...: run in $DB, expect exit 1, print the error line (the
    # statements that pass the checks at CREATE time run in DB=:memory:)
    if ksq "$DB" "$@" >"$WORK/out" 2>"$WORK/err"; then fail "expected an error from: $*"; fi
    grep -m1 '^Error:' "$WORK/err" || cat "$WORK/err"
}
stream() { # stream OPTIONS: a CREATE STREAM on topic t with these extra options
    echo "CREATE STREAM s (id INTEGER) WITH (topic = 't', brokers = '$BROKERS', $1);"
}

CODE="is refused: it would make the Kafka client load or run code"
check_match "plugin.library.paths" "option 'plugin.library.paths' $CODE" \
    "$(err "$(stream "'plugin.library.paths' = '$WORK/libevil.so'")")"
check_match "sasl.kerberos.kinit.cmd" "option 'sasl.kerberos.kinit.cmd' $CODE" \
    "$(err "$(stream "'sasl.kerberos.kinit.cmd' = 'touch $WORK/pwned-kinit'")")"
check_match "ssl.engine.location" "option 'ssl.engine.location' $CODE" \
    "$(err "$(stream "'ssl.engine.location' = '$WORK/engine.so'")")"
check_match "ssl.engine.id" "option 'ssl.engine.id' $CODE" \
    "$(err "$(stream "'ssl.engine.id' = 'dynamic'")")"
check_match "ssl.providers" "option 'ssl.providers' $CODE" \
    "$(err "$(stream "'ssl.providers' = '$WORK/provider'")")"
check_match "a dotted bare key is a librdkafka key too" "option 'plugin.library.paths' $CODE" \
    "$(err "$(stream "plugin.library.paths = 'libevil'")")"
check_match "the virtual table refuses it as well" "option 'plugin.library.paths' $CODE" \
    "$(err "CREATE VIRTUAL TABLE v USING kafka(topic='t', brokers='$BROKERS', 'plugin.library.paths'='libevil', columns='id INTEGER');")"
check_match "a kinit principal with shell syntax" "option 'sasl.kerberos.principal' = 'x;touch .*' holds characters the Kerberos kinit command would pass to a shell" \
    "$(err "$(stream "'security.protocol' = 'SASL_PLAINTEXT', 'sasl.mechanisms' = 'GSSAPI', 'sasl.kerberos.principal' = 'x;touch $WORK/pwned-principal'")")"
export KSQ_PRINCIPAL="x;touch $WORK/pwned-env"
check_match "... also from the environment, when the client is configured" \
    "option 'sasl.kerberos.principal' \(from the environment\) holds characters" \
    "$(DB=:memory: err "$(stream "'security.protocol' = 'SASL_PLAINTEXT', 'sasl.mechanisms' = 'GSSAPI', 'sasl.kerberos.principal' = '\${KSQ_PRINCIPAL}'")" "SELECT count(*) FROM s;")"
check "no command ran" "" "$(ls "$WORK" | grep pwned || true)"
check_match "offsets are ksqlite's" "option 'enable.auto.commit' is managed by ksqlite" \
    "$(err "$(stream "'enable.auto.commit' = 'true'")")"

# TLS verification off: every spelling librdkafka reads as false
OFF="turns TLS certificate verification off; add insecure_tls = 'yes' if that is really meant"
for spelling in "'enable.ssl.certificate.verification' = 'false'" \
    "'enable.ssl.certificate.verification' = 'f'" "'enable.ssl.certificate.verification' = '0'" \
    "'ssl.endpoint.identification.algorithm' = 'none'" "enable.ssl.certificate.verification = false"; do
    check_match "refused: $spelling" "$OFF" "$(err "$(stream "$spelling")")"
done
export KSQ_VERIFY=F
check_match "refused when the environment says false" \
    "option 'enable.ssl.certificate.verification' \(from the environment\) $OFF" \
    "$(DB=:memory: err "$(stream "'enable.ssl.certificate.verification' = '\${KSQ_VERIFY}'")" "SELECT count(*) FROM s;")"
check "nothing refused was stored" "" "$(ksq "$DB" "SHOW STREAMS;" ".tables" 2>&1 | grep -v '^ksq_' || true)"

# The explicit opt-in works, loudly: a warning each time a client is made
out=$(ksq :memory: "$(stream "'enable.ssl.certificate.verification' = 'false', insecure_tls = 'yes'")" \
    "SELECT count(*) FROM s;" 2>&1)
# (log lines: "<UTC time> ksqlite[<pid>] LEVEL: message")
check_match "insecure_tls = 'yes' lets it run" "^2$" "$(echo "$out" | grep -Ev ' ksqlite\[[0-9]+\] ')"
check_match "and warns on stderr at the default log level" \
    "^[0-9T:.-]+Z ksqlite\[[0-9]+\] WARN: TLS certificate verification is OFF for Kafka brokers $BROKERS \(insecure_tls = 'yes'\)" \
    "$(echo "$out" | grep -E ' ksqlite\[[0-9]+\] ' | head -1)"
check "a stream that verifies gives no such warning" "2" \
    "$(ksq :memory: "$(stream "'enable.ssl.certificate.verification' = 'true'")" "SELECT count(*) FROM s;" 2>&1)"
finish
