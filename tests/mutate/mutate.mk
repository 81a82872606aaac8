# tests/mutate/mutate.mk - make mutate: plants each mutant of
# tests/mutate/mutants.tsv, one at a time, in a scratch copy, and says which
# the tests catch (tests/mutate/README.md).  The top Makefile includes this file.
#
#   make mutate                  every mutant; integration tests for survivors (as root)
#   make mutate MUTANTS=echoall  only the mutants whose id or file matches
MUTANTS ?=

mutate:
	MUTANTS='$(MUTANTS)' tests/mutate/run

.PHONY: mutate
