# hush-server, included by the root Makefile (which defines CC, CSTD, CINC, the sanitizer flags and
# the core libraries).
#   build/native/hush-server        the aggregator (libwebsockets, SQLite)
#   build/asan/tests/server/test_*  its modules under ASan+UBSan, driven without sockets
# net.c (the libwebsockets loop) and main.c are the only files the module tests do not link.
SERVER_SRC      := $(sort $(wildcard server/*.c))
SERVER_MOD_SRC  := $(filter-out server/main.c server/net.c,$(SERVER_SRC))
SERVER_LIBS     := -lwebsockets -lsqlite3 -lsodium -lm
SERVER_TEST_SRC := $(sort $(wildcard tests/server/test_*.c))
SERVER_TEST_BIN := $(SERVER_TEST_SRC:tests/server/%.c=build/asan/tests/server/%)
SERVER_ASAN_OBJ := $(SERVER_MOD_SRC:%.c=build/asan/obj/%.o)

# The server reuses the CLI's option parsing and file helpers (core/cli/util.c).
build/native/hush-server: $(SERVER_SRC) $(wildcard server/*.h) core/cli/util.c core/cli/cli.h build/native/libhush.a
	$(CC) $(CFLAGS_NATIVE) -Iserver -Icore/cli $(SERVER_SRC) core/cli/util.c build/native/libhush.a $(SERVER_LIBS) -o $@

# The same server with fault points compiled in (HUSH_SERVER_FAULT, see store.c), for the crash tests.
build/native/hush-server-test: $(SERVER_SRC) $(wildcard server/*.h) core/cli/util.c core/cli/cli.h build/native/libhush.a
	$(CC) $(CFLAGS_NATIVE) -DHUSH_SERVER_TEST -Iserver -Icore/cli $(SERVER_SRC) core/cli/util.c build/native/libhush.a $(SERVER_LIBS) -o $@

# Many native participants in one process, for the load test and the benchmark.
build/native/hush-swarm: tests/server/swarm.c core/cli/netclient.c core/cli/netclient.h core/cli/util.c build/native/libhush.a
	$(CC) $(CFLAGS_NATIVE) -Icore/cli tests/server/swarm.c core/cli/netclient.c core/cli/util.c build/native/libhush.a -lwebsockets -lsodium -lm -o $@

build/asan/obj/server/%.o: server/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ASAN) -Iserver -MMD -MP -c $< -o $@

build/asan/tests/server/%: tests/server/%.c $(wildcard tests/c/*.h) $(SERVER_ASAN_OBJ) build/asan/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ASAN) -Itests/c -Iserver $< $(SERVER_ASAN_OBJ) build/asan/libhush.a -lsqlite3 -lsodium -lm -o $@

# Integration tests over loopback sockets: native, Node and browser participants, faults, hostile
# traffic, a thousand clients, TLS. Each test starts its own server on a free port.
SERVER_TEST_DEPS := build/native/hush-server build/native/hush-server-test build/native/hush-swarm build/native/hush
test-server: $(SERVER_TEST_DEPS) web
	node --test --test-concurrency=1 tests/server/

-include $(SERVER_ASAN_OBJ:.o=.d)
