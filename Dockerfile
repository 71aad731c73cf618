# syntax=docker/dockerfile:1
# Overseer's container image: the fat jar built by Maven on a JDK, run on a JRE as a non-root user.
#   docker build -t overseer .
#   docker run -p 8080:8080 -v overseer-data:/data overseer
# See docs/deployment.md (and deploy/compose.yaml for two nodes on PostgreSQL behind nginx).

FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 mvn -B -q package -DskipTests -pl app -am

FROM eclipse-temurin:25-jre
# curl for HEALTHCHECK only.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 overseer \
    && useradd --system --uid 10001 --gid overseer --home-dir /data --no-create-home overseer \
    && mkdir /data && chown overseer:overseer /data
COPY --from=build /src/app/target/overseer.jar /opt/overseer/overseer.jar
# Listen on every interface in the container (the default, 127.0.0.1, is unreachable from outside it).
# The embedded H2 file and the development secret live in the volume; set OVERSEER_DB_URL for PostgreSQL
# and OVERSEER_JWT_SECRET (or OVERSEER_JWT_JWKS_URL) in production.
ENV OVERSEER_HOST=0.0.0.0 \
    OVERSEER_PORT=8080 \
    OVERSEER_DATA_DIR=/data
VOLUME /data
USER overseer
WORKDIR /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${OVERSEER_PORT}/healthz" > /dev/null || exit 1
# Exec form: java is PID 1 and receives SIGTERM itself, so a stop is a graceful shutdown
# (OVERSEER_SHUTDOWN_GRACE_SECONDS, 30 s: give the orchestrator's stop timeout more than that).
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/overseer/overseer.jar"]
CMD ["serve"]
