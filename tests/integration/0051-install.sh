# 0051: `cmake --install` into a temporary prefix, then only the installed tree:
# docs/examples/*.c built with `pkg-config --cflags --libs ksqlite` alone and run
# against a mock cluster (to the end, and as a service stopped by SIGTERM); the
# Python example through sqlite3's load_extension prints the same rows;
# find_package(ksqlite) builds the example against the shared and the static
# library; the man page is found by man.
. "$(dirname "$0")/lib.sh"
unset KSQLITE_BROKERS
PREFIX="$WORK/prefix"
CC=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BIN/CMakeCache.txt")
# The sanitizer build installs instrumented libraries: programs built on them
# take the sanitizer flags too (and foreign ones, Python, preload the runtimes).
SAN_FLAGS=""
FOREIGN=()
if grep -q '^KSQ_SANITIZE:BOOL=ON' "$BIN/CMakeCache.txt"; then
    SAN_FLAGS="-fsanitize=address,undefined"
    FOREIGN=(env "LD_PRELOAD=$("$CC" -print-file-name=libasan.so) $("$CC" -print-file-name=libubsan.so)"
        "ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0")
fi

cmake --install "$BIN" --prefix "$PREFIX" >"$WORK/install.log" 2>&1 ||
    fail "cmake --install: $(cat "$WORK/install.log")"
missing=""
for f in lib/libksqlite.so lib/libksqlite.a include/ksqlite.h lib/pkgconfig/ksqlite.pc \
    lib/cmake/ksqlite/ksqliteConfig.cmake bin/ksqlite bin/ksqlite-broker bin/ksqlite-gen \
    share/man/man1/ksqlite.1 share/doc/ksqlite/embedding.md; do
    [ -e "$PREFIX/$f" ] || missing="$missing $f"
done
check "cmake --install installs the libraries, header, package files, programs, man page" "" "$missing"
check "man finds the page" "$PREFIX/share/man/man1/ksqlite.1" \
    "$(MANPATH="$PREFIX/share/man" man -w ksqlite 2>&1)"
check "the installed program runs" "ksqlite 0.1.0" \
    "$("$PREFIX/bin/ksqlite" --version | cut -d' ' -f1,2)"

export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
check "pkg-config knows ksqlite" "0.1.0" "$(pkg-config --modversion ksqlite)"
for src in "$SRC"/docs/examples/*.c; do
    name=$(basename "$src" .c)
    # shellcheck disable=SC2046
    "$CC" -Wall -Wextra -Werror $SAN_FLAGS -o "$WORK/$name" "$src" $(pkg-config --cflags --libs ksqlite) \
        2>"$WORK/cc.err" || fail "building $name: $(cat "$WORK/cc.err")"
done
check "docs/examples/*.c build with pkg-config's flags alone" "" "$(cat "$WORK/cc.err")"
check "linked with the installed library" "1" \
    "$(LD_LIBRARY_PATH="$PREFIX/lib" ldd "$WORK/window_counts" | grep -c "$PREFIX/lib/libksqlite.so")"

# 2400 events, 10 a second of event time, 4 cities: 4 one-minute windows each.
start_broker --topic weather:4
gen --brokers "$BROKERS" --topic weather --count 2400 --start '2026-11-21 12:00:00' --eps 10 \
    --cities 4 2>"$WORK/gen.err" || fail "ksqlite-gen: $(cat "$WORK/gen.err")"

run_c() { # run_c OUT ARGS...: the C example from the install tree
    local out=$1 rc=0
    shift
    LD_LIBRARY_PATH="$PREFIX/lib" "$WORK/window_counts" "$@" >"$out" 2>"$out.err" || rc=$?
    note_exit "$rc" window_counts
    return "$rc"
}
rc=0
run_c "$WORK/c.out" --to-end "$BROKERS" weather || rc=$?
cat "$WORK/c.out.err" >&2
check "window_counts --to-end exits 0" 0 "$rc"
check "it printed every window: 16 rows" 16 "$(wc -l <"$WORK/c.out")"
check "counting every event" 2400 "$(awk -F'|' '{n += $3} END {print n}' "$WORK/c.out")"
check_match "rows are window_start|city|n|avg|max" \
    '^2026-11-21 12:00:00\.000\|[A-Za-z]+\|150\|-?[0-9]+\.[0-9]\|[0-9]+\.[0-9]$' "$(head -1 "$WORK/c.out")"

rc=0
"${FOREIGN[@]}" "$PY" "$SRC/docs/examples/window_counts.py" --to-end --lib "$PREFIX/lib/libksqlite" \
    "$BROKERS" weather >"$WORK/py.out" 2>"$WORK/py.err" || rc=$?
cat "$WORK/py.err" >&2
check "window_counts.py --to-end exits 0" 0 "$rc"
check "and prints the same rows through the extension" "$(sort "$WORK/c.out")" "$(sort "$WORK/py.out")"

# As services: the windows that closed (the last one waits for more events),
# then SIGTERM: a clean exit.
wait_lines() { # wait_lines FILE N: up to 30 s
    local i
    for i in $(seq 300); do
        [ "$(wc -l <"$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
}
LD_LIBRARY_PATH="$PREFIX/lib" "$WORK/window_counts" "$BROKERS" weather >"$WORK/c2.out" \
    2>"$WORK/c2.err" &
cpid=$!
"${FOREIGN[@]}" "$PY" "$SRC/docs/examples/window_counts.py" --lib "$PREFIX/lib/libksqlite" \
    "$BROKERS" weather >"$WORK/py2.out" 2>"$WORK/py2.err" &
ppid=$!
PIDS+=("$cpid" "$ppid") # stopped by the cleanup if a check fails first
wait_lines "$WORK/c2.out" 12
wait_lines "$WORK/py2.out" 12
kill -TERM "$cpid" "$ppid"
crc=0
prc=0
wait "$cpid" || crc=$?
wait "$ppid" || prc=$?
note_exit "$crc" window_counts
check "window_counts as a service: 12 closed windows, then SIGTERM ends it with 0" "12 0" \
    "$(wc -l <"$WORK/c2.out") $crc"
check "window_counts.py as a service: the same" "12 0" "$(wc -l <"$WORK/py2.out") $prc"
check "the same rows as the first 12 of the batch run" "$(head -12 "$WORK/c.out" | sort)" \
    "$(sort "$WORK/c2.out")"

# find_package(ksqlite): the shared and the static library.
mkdir -p "$WORK/consumer"
cat >"$WORK/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(ksqlite 0.1 REQUIRED)
add_executable(wc_shared "$SRC/docs/examples/window_counts.c")
target_link_libraries(wc_shared PRIVATE ksqlite::ksqlite)
add_executable(wc_static "$SRC/docs/examples/window_counts.c")
target_link_libraries(wc_static PRIVATE ksqlite::ksqlite_static)
CMAKE
(cmake -S "$WORK/consumer" -B "$WORK/consumer/build" -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$SAN_FLAGS" -DCMAKE_EXE_LINKER_FLAGS="$SAN_FLAGS" &&
    cmake --build "$WORK/consumer/build") >"$WORK/consumer.log" 2>&1 ||
    fail "the CMake consumer: $(tail -20 "$WORK/consumer.log")"
check "find_package(ksqlite) builds against ksqlite::ksqlite and ksqlite::ksqlite_static" \
    "1 0" "$(ldd "$WORK/consumer/build/wc_shared" | grep -c "$PREFIX/lib/libksqlite.so") \
$(ldd "$WORK/consumer/build/wc_static" | grep -c libksqlite)"
rc=0
"$WORK/consumer/build/wc_static" --to-end "$BROKERS" weather >"$WORK/s.out" 2>&1 || rc=$?
note_exit "$rc" wc_static
check "the statically linked example prints the same rows" "0 $(sort "$WORK/c.out")" \
    "$rc $(sort "$WORK/s.out")"
finish
