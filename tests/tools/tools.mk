# Test tools, included by the top-level Makefile (which sets BUILD, CC and
# ALL_CFLAGS or CFLAGS, LDFLAGS). Standalone: make -f tests/tools/tools.mk [BUILD=dir]
#
# linkdelay emulates link delay with NFQUEUE (the test kernels have no netem);
# see the comment at the top of tests/tools/linkdelay.c and tests/lib/netns.sh.

TOOLS_MK := $(lastword $(MAKEFILE_LIST))
TOOLS_DIR := $(patsubst %/,%,$(dir $(TOOLS_MK)))
# Kept so that being included first does not make our target the default goal.
TOOLS_SAVED_GOAL := $(.DEFAULT_GOAL)

BUILD ?= build
PKG_CONFIG ?= pkg-config
NFQ_CFLAGS := $(shell $(PKG_CONFIG) --cflags libnetfilter_queue)
NFQ_LIBS := $(shell $(PKG_CONFIG) --libs libnetfilter_queue)

# The top-level Makefile keeps -std and its warnings in ALL_CFLAGS (CFLAGS is
# what the user adds): use those when present, else CFLAGS, else the
# project's warning set. Expanded late, so the include may come first; no
# CFLAGS default is set here, not to change the including Makefile's.
TOOLS_DEFAULT_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wwrite-strings -Werror
TOOLS_CFLAGS = $(filter-out -MMD -MP,$(or $(ALL_CFLAGS),$(CFLAGS),$(TOOLS_DEFAULT_CFLAGS)))

.PHONY: tools
tools: $(BUILD)/linkdelay

$(BUILD)/linkdelay: $(TOOLS_DIR)/linkdelay.c $(TOOLS_MK)
	@mkdir -p $(@D)
	$(CC) $(TOOLS_CFLAGS) $(NFQ_CFLAGS) -o $@ $< $(LDFLAGS) $(NFQ_LIBS) -lm

ifneq ($(firstword $(MAKEFILE_LIST)),$(TOOLS_MK))
.DEFAULT_GOAL := $(TOOLS_SAVED_GOAL)
endif
