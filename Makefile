# GSI — the two commands a newcomer needs are `make run` and `make test` (see README.md).
.PHONY: run test setup lint bench fuzz faults infra-up infra-down contracts migration clean

run: setup          ## the whole system, embedded mode, nothing to install
	uv run python -m scripts.run_embedded

test:               ## every check and test tier; starts PostgreSQL and Kafka itself
	scripts/test.sh

setup:
	scripts/setup.sh

lint: setup
	uv run ruff check . && uv run ruff format --check . && uv run mypy shared/src services/*/src scripts bench deploy/observability && uv run lint-imports

bench: setup        ## throughput figures on PostgreSQL + Kafka, with raw-driver ratios
	scripts/bench.sh

fuzz: setup         ## a longer schemathesis run over every operation of every service (~12 min)
	GSI_FUZZ_EXAMPLES=$${GSI_FUZZ_EXAMPLES:-200} uv run pytest tests/security/test_fuzz.py -q -s -p no:randomly

faults: setup       ## the fault tier alone (its own PostgreSQL and Kafka, stopped and restarted; ~10 min)
	GSI_REQUIRE_INFRA=1 scripts/with-infra.sh uv run pytest tests/faults -q -s -p no:randomly

infra-up:
	deploy/local/postgres.sh start && deploy/local/kafka.sh start

infra-down:
	deploy/local/kafka.sh stop; deploy/local/postgres.sh stop

.PHONY: cluster-up cluster-down
cluster-up: setup   ## the replicated topology: 3 Kafka brokers, 2 replicas of each service, HAProxy (deploy/local/README.md)
	deploy/local/cluster.sh start

cluster-down:       ## stop it (PostgreSQL stays: infra-down stops it)
	deploy/local/cluster.sh stop

contracts: setup    ## regenerate docs/contracts/asyncapi.json from the published contracts
	uv run python -m scripts.contracts

migration: setup    ## a service's next migration, generated from its tables: make migration SERVICE=reporting MESSAGE="what it does"
	@test -n "$(SERVICE)" -a -n "$(MESSAGE)" || { echo 'make migration SERVICE=<service> MESSAGE="<what it does>"'; exit 2; }
	deploy/local/postgres.sh start >/dev/null
	export $$(deploy/local/postgres.sh env) && uv run python -m gsi_kernel.schema_cli revision \
		services/$(SERVICE)/src/$(SERVICE)/migrations "$(MESSAGE)"

clean:
	rm -rf .data
