#!/bin/sh
# One KRaft node (broker + controller) with the launcher's settings (deploy/src/labelstream_deploy/kafka.py), plus a
# HOST listener for clients outside compose's network:
#   PLAINTEXT  kafka:9092                          the containers
#   HOST       0.0.0.0:19092, advertised as KAFKA_HOST_ADVERTISED (127.0.0.1:<published port>)
# Storage is formatted on the first start (a fresh volume), then reused.
set -eu
CONF=/data/server.properties
cat > "$CONF" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:9093
listeners=PLAINTEXT://0.0.0.0:9092,CONTROLLER://localhost:9093,HOST://0.0.0.0:19092
advertised.listeners=PLAINTEXT://${KAFKA_ADVERTISED_HOST:-kafka}:9092,HOST://${KAFKA_HOST_ADVERTISED:-127.0.0.1:9092}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,HOST:PLAINTEXT
log.dirs=/data/logs
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=168
CONF
CP="/opt/kafka/libs/*"   # quoted: java expands the wildcard, the shell must not
LOG="-Dlog4j2.configurationFile=/opt/kafka/log4j2.properties"
if [ ! -f /data/logs/meta.properties ]; then
  java $LOG -cp "$CP" kafka.tools.StorageTool format --standalone \
    --cluster-id="${KAFKA_CLUSTER_ID:-WX0XmaTnV0yyUpXkSUvddg}" -c "$CONF" --ignore-formatted >/dev/null
fi
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g} -XX:+UseG1GC $LOG -cp "$CP" kafka.Kafka "$CONF"
