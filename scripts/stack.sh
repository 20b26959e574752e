#!/usr/bin/env bash
# The local stack without Docker: ZooKeeper, a ClickHouse cluster of 2 shards x 2 replicas (four server
# processes), Redis, a KRaft Kafka broker and the HTTP collector (collector/) in front of it, all on 127.0.0.1.
#
#   scripts/stack.sh install                 apt packages and Kafka broker jars, when missing
#   scripts/stack.sh start   [SERVICE...]    start (idempotent); default: all
#   scripts/stack.sh stop    [SERVICE...]    stop; default: all
#   scripts/stack.sh restart [SERVICE...]
#   scripts/stack.sh status                  exit 0 only when every service answers
#   scripts/stack.sh env                     endpoints as shell variables (for tests and tools)
#   scripts/stack.sh clean                   stop everything and delete STACK_DIR
#
# SERVICE: zookeeper, clickhouse (all four nodes) or one node (s1r1 s1r2 s2r1 s2r2), redis, redis-cluster (six
# nodes: 3 masters, 3 replicas) or one of its nodes (rc1 … rc6), kafka, collector.
# Ports and STACK_DIR: scripts/conf/stack.env, overridable by environment variables.
# Logs: STACK_DIR/logs/.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

ALL_SERVICES=(zookeeper clickhouse redis redis-cluster kafka collector)
# The Redis Cluster's nodes: 3 masters and 3 replicas on REDIS_CLUSTER_PORT and the 5 ports after it.
RC_NODES=(rc1 rc2 rc3 rc4 rc5 rc6)
# chromium: the tests open the HTML report in it (headless).
APT_PACKAGES=(clickhouse-server clickhouse-client zookeeper redis-server curl chromium wrk jq)

# ---------------------------------------------------------------------------------------------- install

install_apt() {
  local missing=()
  command -v clickhouse-server >/dev/null || missing+=(clickhouse-server)
  command -v clickhouse-client >/dev/null || missing+=(clickhouse-client)
  [ -f /usr/share/java/zookeeper.jar ] || missing+=(zookeeper)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v curl >/dev/null || missing+=(curl)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v wrk >/dev/null || missing+=(wrk)
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing with apt: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root or sudo to install: ${missing[*]}"
    sudo=sudo
  fi
  $sudo apt-get update -qq || die "apt-get update failed"
  # policy-rc.d keeps the packages' own services from starting; this script runs its own instances.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${APT_PACKAGES[@]}" >"$LOG_DIR/apt.log" 2>&1 \
    || die "apt-get install failed, see $LOG_DIR/apt.log"
}

install_kafka() {
  local libs="$STACK_DIR/kafka/libs"
  if ls "$libs"/kafka_2.13-*.jar >/dev/null 2>&1; then return 0; fi
  say "fetching Kafka broker jars from Maven Central into $libs"
  mkdir -p "$libs"
  mvn -B -q -f "$SCRIPTS_DIR/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs" \
    >"$LOG_DIR/kafka-install.log" 2>&1 || die "could not fetch Kafka jars, see $LOG_DIR/kafka-install.log"
}

cmd_install() {
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  install_apt
  install_kafka
  say "install: ok"
}

# -------------------------------------------------------------------------------------------- zookeeper

start_zookeeper() {
  local dir="$STACK_DIR/zookeeper" pidfile="$RUN_DIR/zookeeper.pid"
  if pid_alive "$pidfile" && zk_ready; then return 0; fi
  require_free_ports zookeeper "$ZK_PORT"
  mkdir -p "$dir/data"
  cat >"$dir/zoo.cfg" <<EOF
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok,stat,srvr,mntr
maxClientCnxns=500
autopurge.snapRetainCount=3
autopurge.purgeInterval=1
EOF
  setsid nohup java -Xmx256m -cp "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" \
    >"$LOG_DIR/zookeeper.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  # ClickHouse 18.16 exits if it cannot reach ZooKeeper while loading replicated tables, and `ruok`
  # answers before ZooKeeper serves sessions: wait for `srvr`.
  wait_for 60 "ZooKeeper on port $ZK_PORT" zk_ready || die "ZooKeeper did not come up, see $LOG_DIR/zookeeper.log"
  say "zookeeper: up on 127.0.0.1:$ZK_PORT"
}

stop_zookeeper() { stop_pid "$RUN_DIR/zookeeper.pid" zookeeper; }

# ------------------------------------------------------------------------------------------- clickhouse

# The analysts' login (scripts/conf/clickhouse/analyst.xml, shared with docker-compose). Its password comes from
# CLICKSTREAM_ANALYST_PASSWORD, else from the file that `env` names (created with a random password on the first
# start, readable by its owner only); the server's configuration gets only its SHA-256.
ANALYST_PASSWORD_FILE="$STACK_DIR/secrets/analyst-password"
write_analyst_user() {
  local password="${CLICKSTREAM_ANALYST_PASSWORD:-}"
  if [ -z "$password" ]; then
    if [ ! -s "$ANALYST_PASSWORD_FILE" ]; then
      (umask 077; mkdir -p "$(dirname "$ANALYST_PASSWORD_FILE")"
       head -c 18 /dev/urandom | base64 | tr -d '/+=\n' >"$ANALYST_PASSWORD_FILE")
    fi
    password=$(cat "$ANALYST_PASSWORD_FILE")
  fi
  local hash
  hash=$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)
  sed -e "s|<password from_env=\"CLICKHOUSE_ANALYST_PASSWORD\"/>|<password_sha256_hex>$hash</password_sha256_hex>|" \
      -e 's|<ip>::/0</ip>|<ip>::1</ip><ip>127.0.0.1</ip>|' "$SCRIPTS_DIR/conf/clickhouse/analyst.xml" >"$1"
  grep -q "<password_sha256_hex>$hash<" "$1" || die "could not set the analyst's password in $1"
}

write_clickhouse_shared_config() {
  local dir="$STACK_DIR/clickhouse"
  mkdir -p "$dir/users.d"
  cp "$SCRIPTS_DIR/conf/clickhouse/profile.xml" "$dir/users.d/profile.xml"
  # Debian's server is 18.16: it needs the setting current versions refuse.
  cp "$SCRIPTS_DIR/conf/clickhouse/profile-18.16.xml" "$dir/users.d/profile-18.16.xml"
  cat >"$dir/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
    <profiles><default/></profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
  write_analyst_user "$dir/users.d/analyst.xml"
  sed -e 's|<password from_env="CLICKHOUSE_JOB_PASSWORD"/>|<password></password>|' \
      -e 's|<ip>::/0</ip>|<ip>::1</ip><ip>127.0.0.1</ip>|' "$SCRIPTS_DIR/conf/clickhouse/job.xml" >"$dir/users.d/job.xml"
  local replicas="" shard node
  for shard in 1 2; do
    replicas="$replicas        <shard>
            <internal_replication>true</internal_replication>
"
    for node in "s${shard}r1" "s${shard}r2"; do
      replicas="$replicas            <replica><host>127.0.0.1</host><port>$(ch_tcp_port "$node")</port></replica>
"
    done
    replicas="$replicas        </shard>
"
  done
  cat >"$dir/cluster.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <remote_servers>
        <$CH_CLUSTER>
$replicas        </$CH_CLUSTER>
    </remote_servers>
    <zookeeper>
        <node index="1"><host>127.0.0.1</host><port>$ZK_PORT</port></node>
        <session_timeout_ms>30000</session_timeout_ms>
    </zookeeper>
    <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
</yandex>
EOF
}

write_clickhouse_node_config() {
  local node="$1" dir="$STACK_DIR/clickhouse/$1"
  mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
  cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>$LOG_DIR/clickhouse-$node.log</log>
        <errorlog>$LOG_DIR/clickhouse-$node.err.log</errorlog>
        <size>100M</size>
        <count>2</count>
    </logger>
    <http_port>$(ch_http_port "$node")</http_port>
    <tcp_port>$(ch_tcp_port "$node")</tcp_port>
    <interserver_http_port>$(ch_interserver_port "$node")</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$STACK_DIR/clickhouse/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <include_from>$STACK_DIR/clickhouse/cluster.xml</include_from>
    <remote_servers incl="remote_servers" />
    <zookeeper incl="zookeeper" />
    <distributed_ddl incl="distributed_ddl" />
    <macros>
        <shard>$(ch_shard "$node")</shard>
        <replica>$node</replica>
    </macros>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
    <!-- For the Kafka-engine baseline of scripts/benchmark.sh: a new consumer group starts at the beginning. -->
    <kafka>
        <auto_offset_reset>smallest</auto_offset_reset>
    </kafka>
</yandex>
EOF
}

start_clickhouse_node() {
  local node="$1" pidfile="$RUN_DIR/clickhouse-$1.pid" attempt
  if pid_alive "$pidfile" && ch_ping "$node"; then return 0; fi
  zk_ready || die "ZooKeeper is not up: start it first (scripts/stack.sh start zookeeper)"
  require_free_ports "clickhouse $node" "$(ch_http_port "$node")" "$(ch_tcp_port "$node")" "$(ch_interserver_port "$node")"
  write_clickhouse_node_config "$node"
  for attempt in 1 2 3; do
    rm -f "$pidfile"
    clickhouse-server --config-file="$STACK_DIR/clickhouse/$node/config.xml" --pid-file="$pidfile" --daemon \
      >>"$LOG_DIR/clickhouse-$node.out" 2>&1 || true
    if wait_for 30 "ClickHouse $node /ping" ch_ping "$node"; then
      wait_for 30 "ClickHouse $node ZooKeeper session" ch_zk_ready "$node" \
        || die "ClickHouse $node has no ZooKeeper session, see $LOG_DIR/clickhouse-$node.err.log"
      say "clickhouse $node: up on http://127.0.0.1:$(ch_http_port "$node") (tcp $(ch_tcp_port "$node"))"
      return 0
    fi
    say "clickhouse $node did not answer (attempt $attempt), retrying"
    stop_pid "$pidfile" "clickhouse $node"
  done
  die "ClickHouse $node did not come up, see $LOG_DIR/clickhouse-$node.err.log"
}

stop_clickhouse_node() { stop_pid "$RUN_DIR/clickhouse-$1.pid" "clickhouse $1"; }

# ------------------------------------------------------------------------------------------------ redis

start_redis() {
  local dir="$STACK_DIR/redis" pidfile="$RUN_DIR/redis.pid"
  if pid_alive "$pidfile" && redis_ready; then return 0; fi
  require_free_ports redis "$REDIS_PORT"
  mkdir -p "$dir"
  cat >"$dir/redis.conf" <<EOF
bind 127.0.0.1
port $REDIS_PORT
dir $dir
pidfile $pidfile
logfile $LOG_DIR/redis.log
daemonize yes
appendonly yes
appendfsync everysec
# A user's session history is written whole after each batch, so the AOF grows fast; at the default 100 % Redis
# forked and rewrote its whole data set 33 times in a 3M-event benchmark (children's CPU is not in Redis's own).
auto-aof-rewrite-percentage 400
save ""
EOF
  redis-server "$dir/redis.conf" || die "redis-server failed to start, see $LOG_DIR/redis.log"
  # Loading a large append-only file (after a benchmark) takes a while; the port opens only when it is done.
  wait_for 180 "Redis on port $REDIS_PORT" redis_ready || die "Redis did not come up, see $LOG_DIR/redis.log"
  say "redis: up on 127.0.0.1:$REDIS_PORT"
}

stop_redis() { stop_pid "$RUN_DIR/redis.pid" redis; }

# A Redis Cluster for the tests of redis.cluster-nodes. No persistence: a node that comes back empty after a stop
# is a replica by then (its replica took over its slots) and copies its master.
rc_port() { echo $((REDIS_CLUSTER_PORT + ${1#rc} - 1)); }
rc_ready() { [ "$(redis-cli -p "$(rc_port "$1")" ping 2>/dev/null)" = "PONG" ]; }
rc_state_ok() { redis-cli -p "$(rc_port "$1")" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }
rc_all_ok() { local n; for n in "${RC_NODES[@]}"; do rc_state_ok "$n" || return 1; done; }

start_redis_cluster_node() {
  local node="$1" port dir pidfile
  port="$(rc_port "$node")"
  dir="$STACK_DIR/redis-cluster/$node"
  pidfile="$RUN_DIR/redis-$node.pid"
  if pid_alive "$pidfile" && rc_ready "$node"; then return 0; fi
  require_free_ports "redis $node" "$port" "$((port + 10000))"
  mkdir -p "$dir"
  cat >"$dir/redis.conf" <<EOF
bind 127.0.0.1
port $port
dir $dir
pidfile $pidfile
logfile $LOG_DIR/redis-$node.log
daemonize yes
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 2000
appendonly no
save ""
EOF
  redis-server "$dir/redis.conf" || die "redis-server $node failed to start, see $LOG_DIR/redis-$node.log"
  wait_for 60 "Redis $node on port $port" rc_ready "$node" || die "Redis $node did not come up"
}

start_redis_cluster() {
  local n nodes=()
  for n in "${RC_NODES[@]}"; do start_redis_cluster_node "$n"; nodes+=("127.0.0.1:$(rc_port "$n")"); done
  if [ "$(redis-cli -p "$REDIS_CLUSTER_PORT" cluster info | sed -n 's/^cluster_known_nodes:\([0-9]*\).*/\1/p')" -lt 6 ]; then
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$LOG_DIR/redis-cluster-create.log" 2>&1 \
      || die "could not create the Redis Cluster, see $LOG_DIR/redis-cluster-create.log"
  fi
  wait_for 60 "the Redis Cluster" rc_all_ok || die "the Redis Cluster is not ok, see $LOG_DIR/redis-rc*.log"
  say "redis-cluster: up on 127.0.0.1:$REDIS_CLUSTER_PORT-$((REDIS_CLUSTER_PORT + 5))"
}

stop_redis_cluster_node() { stop_pid "$RUN_DIR/redis-$1.pid" "redis $1"; }

# ------------------------------------------------------------------------------------------------ kafka

start_kafka() {
  local dir="$STACK_DIR/kafka" pidfile="$RUN_DIR/kafka.pid" cp
  if pid_alive "$pidfile" && kafka_ready; then return 0; fi
  ls "$dir"/libs/kafka_2.13-*.jar >/dev/null 2>&1 || die "Kafka jars missing: run scripts/stack.sh install"
  require_free_ports kafka "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"
  cp="$dir/libs/*"
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=4
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
# Test and demo data carry old event timestamps; time-based retention would delete them.
log.retention.ms=-1
log.retention.bytes=-1
message.max.bytes=2097152
EOF
  if [ ! -f "$dir/data/meta.properties" ]; then
    java -Xmx256m -cp "$cp" kafka.tools.StorageTool format -t "$(java -cp "$cp" kafka.tools.StorageTool random-uuid)" \
      -c "$dir/server.properties" >"$LOG_DIR/kafka-format.log" 2>&1 \
      || die "formatting the Kafka log dir failed, see $LOG_DIR/kafka-format.log"
  fi
  : >"$LOG_DIR/kafka.log"
  setsid nohup java "-Xms$KAFKA_HEAP" "-Xmx$KAFKA_HEAP" -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$SCRIPTS_DIR/conf/kafka/log4j2.properties" -Dkafka.logs.file="$LOG_DIR/kafka.log" \
    -cp "$cp" kafka.Kafka "$dir/server.properties" >"$LOG_DIR/kafka.out" 2>&1 </dev/null &
  echo $! >"$pidfile"
  wait_for 90 "Kafka on port $KAFKA_PORT" kafka_ready || die "Kafka did not come up, see $LOG_DIR/kafka.log and kafka.out"
  say "kafka: up on 127.0.0.1:$KAFKA_PORT"
}

stop_kafka() { stop_pid "$RUN_DIR/kafka.pid" kafka; }

# -------------------------------------------------------------------------------------------- collector

collector_ready() { [ "$(curl -s "http://127.0.0.1:$COLLECTOR_PORT/health" 2>/dev/null)" = "ok" ]; }

# The HTTP collector (collector/), built here when its jar is missing. It answers /health at once; /ready only once
# Kafka has the job's topics (the demo and the tests create them). It runs from a copy of the jar: a JVM loads classes
# from its jar lazily, so a rebuild (scripts/build.sh) under a running collector broke its first requests. A running
# collector whose copy differs from the built jar is restarted, so that `start` always leaves the built code running.
start_collector() {
  local pidfile="$RUN_DIR/collector.pid" jar="$PROJECT_DIR/collector/target/clickstream-collector.jar"
  local running_jar="$RUN_DIR/clickstream-collector.jar"
  if pid_alive "$pidfile" && collector_ready; then
    if [ ! -f "$jar" ] || cmp -s "$jar" "$running_jar"; then return 0; fi
    say "collector: restarting with the jar built since it started"
    stop_collector
  fi
  require_free_ports collector "$COLLECTOR_PORT" "$COLLECTOR_ADMIN_PORT"
  if [ ! -f "$jar" ]; then
    say "building the collector (collector/target/clickstream-collector.jar)"
    mvn -B -q -Dstyle.color=never -f "$PROJECT_DIR/collector/pom.xml" package -DskipTests >"$LOG_DIR/collector-build.log" 2>&1 \
      || die "building the collector failed, see $LOG_DIR/collector-build.log"
  fi
  cp "$jar" "$running_jar"
  # trust-body-ip: what sends here is the demo's generator, which relays its simulated users' addresses in the body
  # as a server would (its batches mix users, so X-Forwarded-For could not carry them); the job locates them by it.
  CLICKSTREAM_COLLECTOR_TRUST_BODY_IP=true \
  CLICKSTREAM_COLLECTOR_HOST=127.0.0.1 CLICKSTREAM_COLLECTOR_PORT="$COLLECTOR_PORT" \
  CLICKSTREAM_COLLECTOR_ADMIN_PORT="$COLLECTOR_ADMIN_PORT" \
  CLICKSTREAM_COLLECTOR_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT" \
    setsid nohup java -Xmx512m -jar "$running_jar" >"$LOG_DIR/collector.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  wait_for 60 "the collector on port $COLLECTOR_PORT" collector_ready || die "the collector did not come up, see $LOG_DIR/collector.log"
  say "collector: up on http://127.0.0.1:$COLLECTOR_PORT (admin: http://127.0.0.1:$COLLECTOR_ADMIN_PORT)"
}

stop_collector() { stop_pid "$RUN_DIR/collector.pid" collector; }

# --------------------------------------------------------------------------------------------- commands

expand_services() {
  local s
  [ $# -eq 0 ] && set -- "${ALL_SERVICES[@]}"
  for s in "$@"; do
    case "$s" in
      clickhouse) printf '%s\n' "${CH_NODES[@]}" ;;
      zookeeper|redis|redis-cluster|kafka|collector|s1r1|s1r2|s2r1|s2r2|rc[1-6]) echo "$s" ;;
      *) die "unknown service '$s' (zookeeper, clickhouse, s1r1, s1r2, s2r1, s2r2, redis, redis-cluster, rc1 … rc6, kafka, collector)" ;;
    esac
  done
}

cmd_start() {
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  command -v clickhouse-server >/dev/null && ls "$STACK_DIR"/kafka/libs/kafka_2.13-*.jar >/dev/null 2>&1 \
    || die "the stack is not installed: run scripts/stack.sh install"
  local s services
  services="$(expand_services "$@")"
  if grep -q '^s[12]r[12]$' <<<"$services"; then write_clickhouse_shared_config; fi
  for s in $services; do
    case "$s" in
      zookeeper) start_zookeeper ;;
      redis) start_redis ;;
      redis-cluster) start_redis_cluster ;;
      rc[1-6]) start_redis_cluster_node "$s" ;;
      kafka) start_kafka ;;
      collector) start_collector ;;
      *) start_clickhouse_node "$s" ;;
    esac
  done
}

cmd_stop() {
  local s services
  services="$(expand_services "$@")"
  # Reverse order: ClickHouse before ZooKeeper.
  for s in $(tac <<<"$services"); do
    case "$s" in
      zookeeper) stop_zookeeper ;;
      redis) stop_redis ;;
      redis-cluster) for n in "${RC_NODES[@]}"; do stop_redis_cluster_node "$n"; done ;;
      rc[1-6]) stop_redis_cluster_node "$s" ;;
      kafka) stop_kafka ;;
      collector) stop_collector ;;
      *) stop_clickhouse_node "$s" ;;
    esac
    say "$s: stopped"
  done
}

cmd_status() {
  local ok=0 n
  # Up means: this stack's own process (pid file under STACK_DIR) is alive and answers.
  report() {
    if pid_alive "$RUN_DIR/$2.pid" && "${@:4}"; then printf '%-10s up    %s\n' "$1" "$3"
    else printf '%-10s DOWN  %s\n' "$1" "$3"; ok=1; fi
  }
  report zookeeper zookeeper "127.0.0.1:$ZK_PORT" zk_ready
  for n in "${CH_NODES[@]}"; do report "$n" "clickhouse-$n" "http://127.0.0.1:$(ch_http_port "$n")" ch_ping "$n"; done
  report redis redis "127.0.0.1:$REDIS_PORT" redis_ready
  report redis-cl redis-rc1 "127.0.0.1:$REDIS_CLUSTER_PORT-$((REDIS_CLUSTER_PORT + 5))" rc_all_ok
  report kafka kafka "127.0.0.1:$KAFKA_PORT" kafka_ready
  report collector collector "http://127.0.0.1:$COLLECTOR_PORT" collector_ready
  printf 'logs:      %s\n' "$LOG_DIR"
  return $ok
}

cmd_env() {
  cat <<EOF
CLICKSTREAM_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT
CLICKSTREAM_CLICKHOUSE_URLS=$(ch_http_urls)
CLICKSTREAM_CLICKHOUSE_CLUSTER=$CH_CLUSTER
CLICKSTREAM_REDIS=127.0.0.1:$REDIS_PORT
CLICKSTREAM_REDIS_CLUSTER=127.0.0.1:$REDIS_CLUSTER_PORT,127.0.0.1:$((REDIS_CLUSTER_PORT + 1)),127.0.0.1:$((REDIS_CLUSTER_PORT + 2))
CLICKSTREAM_ANALYST_PASSWORD_FILE=$ANALYST_PASSWORD_FILE
CLICKSTREAM_KAFKA_LIBS=$STACK_DIR/kafka/libs
CLICKSTREAM_COLLECTOR_URL=http://127.0.0.1:$COLLECTOR_PORT
EOF
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  install) cmd_install ;;
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  restart) cmd_stop "$@"; cmd_start "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  clean) cmd_stop; rm -rf "$STACK_DIR"; say "removed $STACK_DIR" ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; [ -z "$cmd" ] || exit 2 ;;
esac
