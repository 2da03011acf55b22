# pegasus_fdw — PostgreSQL foreign data wrapper for Apache Pegasus.
#
# `make` builds the extension, the embedded client library, the onebox test
# server, pegasus-cli and the unit-test programs.  `make install` installs the
# extension into the PostgreSQL that pg_config names.  The test suite and the
# demo are driven by test/run-tests.sh and test/demo.sh (see README.md).

EXTENSION = pegasus_fdw
MODULE_big = pegasus_fdw
DATA = pegasus_fdw--1.0.sql pegasus_fdw--1.0--1.1.sql pegasus_fdw--1.1--1.2.sql
PGFILEDESC = "pegasus_fdw - foreign data wrapper for Apache Pegasus"

# Each layer is a directory; new files are picked up without editing this file.
CLIENT_SRCS := $(sort $(wildcard src/client/*.c))
FDW_SRCS    := $(sort $(wildcard src/fdw/*.c))
ONEBOX_SRCS := $(sort $(wildcard test/onebox/*.c))
CLI_SRCS    := $(sort $(wildcard src/tools/*.c))
UNIT_SRCS   := $(sort $(wildcard test/unit/test_*.c))
UNIT_HELPER_SRCS := $(filter-out $(UNIT_SRCS),$(sort $(wildcard test/unit/*.c)))
# test/unit/NAME/*.c: the parts of the program test/unit/test_NAME
UNIT_PART_DIRS := $(patsubst test/unit/%/,%,$(sort $(dir $(wildcard test/unit/*/*.c))))

CLIENT_OBJS := $(CLIENT_SRCS:.c=.o)
OBJS = pegasus_fdw.o $(FDW_SRCS:.c=.o) $(CLIENT_OBJS)

PG_CONFIG ?= pg_config
PKG_CONFIG ?= pkg-config
# Kerberos (SASL GSSAPI) negotiation: Cyrus SASL, and MIT krb5 + GSSAPI for
# the client's private credential caches.
AUTH_PKGS   := libsasl2 krb5-gssapi krb5
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags glib-2.0 gobject-2.0 thrift_c_glib $(AUTH_PKGS))
DEPS_LIBS   := $(shell $(PKG_CONFIG) --libs glib-2.0 gobject-2.0 thrift_c_glib $(AUTH_PKGS))
# Unit tests also read the JSON wire vectors.
TEST_CFLAGS := $(shell $(PKG_CONFIG) --cflags json-glib-1.0)
TEST_LIBS   := $(shell $(PKG_CONFIG) --libs json-glib-1.0)

PG_CPPFLAGS = -Isrc/client -Isrc/fdw $(DEPS_CFLAGS)
PG_CFLAGS = -std=gnu11 -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK = $(DEPS_LIBS)

REGRESS = $(basename $(notdir $(sort $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=pegasus_fdw

CLIENT_LIB = src/client/libpegasus_client.a
ONEBOX     = test/onebox/pegasus-onebox
CLI        = src/tools/pegasus-cli
UNIT_PROGS := $(UNIT_SRCS:.c=)

EXTRA_CLEAN = $(CLIENT_LIB) $(ONEBOX) $(CLI) $(UNIT_PROGS) \
	test/onebox/*.o src/tools/*.o test/unit/*.o test/unit/*/*.o \
	$(filter-out %.c,$(wildcard test/fuzz/fuzz_*)) \
	results regression.diffs regression.out test/bench/results.json test/bench/results.svg

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Supported: 15 to 19 (src/fdw/compat.h holds what differs).  The suite runs
# on 15, 17, 18 and 19 (test/pg-root.sh); 16 builds from the same source.
ifeq ($(filter 15 16 17 18 19,$(MAJORVERSION)),)
$(error pegasus_fdw supports PostgreSQL 15 to 19, pg_config reports $(MAJORVERSION))
endif

# Standalone programs use the same warning flags as the extension.
PROG_CFLAGS = $(CFLAGS) $(PG_CFLAGS) -Isrc/client $(DEPS_CFLAGS)

all: $(ONEBOX) $(CLI) $(UNIT_PROGS)

$(CLIENT_LIB): $(CLIENT_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

test/onebox/%.o: test/onebox/%.c $(wildcard test/onebox/*.h) $(wildcard src/client/*.h)
	$(CC) $(PROG_CFLAGS) -Itest/onebox -c -o $@ $<

$(ONEBOX): $(ONEBOX_SRCS:.c=.o) $(CLIENT_LIB)
	$(CC) $(PROG_CFLAGS) -o $@ $^ $(DEPS_LIBS) -lm

src/tools/%.o: src/tools/%.c $(wildcard src/tools/*.h) $(wildcard src/client/*.h)
	$(CC) $(PROG_CFLAGS) -c -o $@ $<

$(CLI): $(CLI_SRCS:.c=.o) $(CLIENT_LIB)
	$(CC) $(PROG_CFLAGS) -o $@ $^ $(DEPS_LIBS) -lm

test/unit/%.o: test/unit/%.c $(wildcard test/unit/*.h) $(wildcard src/client/*.h) $(wildcard test/onebox/*.h)
	$(CC) $(PROG_CFLAGS) $(TEST_CFLAGS) -Itest/unit -Itest/onebox -c -o $@ $<

test/unit/test_%: test/unit/test_%.o $(UNIT_HELPER_SRCS:.c=.o) $(CLIENT_LIB)
	$(CC) $(PROG_CFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(TEST_LIBS) $(DEPS_LIBS) -lm

# the store is tested on its own, without a server around it
test/unit/test_onebox_store: test/onebox/store.o

# a test program in several files: test_NAME.c and the files of test/unit/NAME/
define unit_parts
test/unit/test_$(1): $(patsubst %.c,%.o,$(sort $(wildcard test/unit/$(1)/*.c)))
test/unit/test_$(1).o $(patsubst %.c,%.o,$(wildcard test/unit/$(1)/*.c)): $(wildcard test/unit/$(1)/*.h)
endef
$(foreach d,$(UNIT_PART_DIRS),$(eval $(call unit_parts,$(d))))

# Client objects depend on every client header (they are few and shared).
$(CLIENT_OBJS): $(wildcard src/client/*.h)
$(FDW_SRCS:.c=.o) pegasus_fdw.o: $(wildcard src/fdw/*.h) $(wildcard src/client/*.h)

.PHONY: unitcheck fuzz bench test demo

# Unit tests only (codec, onebox, client), against a onebox the script starts.
unitcheck:
	test/run-tests.sh --unit-only

fuzz:
	$(MAKE) -C test/fuzz

test:
	test/run-tests.sh

demo:
	test/demo.sh

bench: all
	test/bench/run.sh

# The soak (test/soak/README.md): its driver is a libpq program of its own.
SOAK = test/soak/soak
MINUTES ?= 10
SESSIONS ?= 16
EXTRA_CLEAN += $(SOAK)
$(SOAK): $(sort $(wildcard test/soak/*.c)) $(wildcard test/soak/*.h)
	$(CC) -O2 -g -std=gnu11 -Wall -Wno-format-truncation -I$(shell $(PG_CONFIG) --includedir) -o $@ \
		$(filter %.c,$^) -L$(shell $(PG_CONFIG) --libdir) -lpq -lpthread -lm
.PHONY: soak
soak:
	flock /tmp/pegasus_fdw.suite.lock bash test/soak/run.sh --minutes $(MINUTES) --sessions $(SESSIONS)
