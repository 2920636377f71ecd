#!/bin/sh
# zkgo-java entrypoint: runs Apache ZooKeeper (Debian's libzookeeper-java) in the foreground as
# PID 1, so `docker kill -s KILL|STOP|CONT` reaches the JVM itself.
#
# Configuration, in order of preference:
#   1. /conf/zoo.cfg (or $ZOO_CONF) mounted read-only, and myid in the mounted dataDir (/data);
#   2. no zoo.cfg: one is generated in /tmp from the environment, as the common ZooKeeper images
#      do, with the same variables and defaults as zkgo's image (server/config/env.go):
#      ZOO_MY_ID (written to <dataDir>/myid when missing, also with a mounted zoo.cfg), ZOO_SERVERS ("server.1=h1:2888:3888;2181
#      server.2=..."), ZOO_DATA_DIR (/data), ZOO_DATA_LOG_DIR, ZOO_TICK_TIME (2000),
#      ZOO_INIT_LIMIT (5), ZOO_SYNC_LIMIT (2), ZOO_MAX_CLIENT_CNXNS (60), ZOO_STANDALONE_ENABLED
#      (true), ZOO_ADMINSERVER_ENABLED (false), ZOO_AUTOPURGE_PURGEINTERVAL (0),
#      ZOO_AUTOPURGE_SNAPRETAINCOUNT (3), ZOO_4LW_COMMANDS_WHITELIST (srvr,ruok,stat,mntr,conf),
#      ZOO_CFG_EXTRA (extra key=value pairs, space separated); clientPort 2181.
# JVMFLAGS is appended to the default JVM flags (-Xmx256m -XX:+UseSerialGC).
set -eu

CONF=${ZOO_CONF:-/conf/zoo.cfg}
DATA=${ZOO_DATA_DIR:-/data}
if [ ! -f "$CONF" ]; then
	CONF=/tmp/zoo.cfg
	{
		echo "tickTime=${ZOO_TICK_TIME:-2000}"
		echo "initLimit=${ZOO_INIT_LIMIT:-5}"
		echo "syncLimit=${ZOO_SYNC_LIMIT:-2}"
		echo "maxClientCnxns=${ZOO_MAX_CLIENT_CNXNS:-60}"
		echo "dataDir=$DATA"
		if [ -n "${ZOO_DATA_LOG_DIR:-}" ]; then
			echo "dataLogDir=$ZOO_DATA_LOG_DIR"
		fi
		echo "clientPort=2181"
		echo "standaloneEnabled=${ZOO_STANDALONE_ENABLED:-true}"
		echo "admin.enableServer=${ZOO_ADMINSERVER_ENABLED:-false}"
		echo "autopurge.purgeInterval=${ZOO_AUTOPURGE_PURGEINTERVAL:-0}"
		echo "autopurge.snapRetainCount=${ZOO_AUTOPURGE_SNAPRETAINCOUNT:-3}"
		echo "4lw.commands.whitelist=${ZOO_4LW_COMMANDS_WHITELIST:-srvr,ruok,stat,mntr,conf}"
		for kv in ${ZOO_CFG_EXTRA:-}; do
			echo "$kv"
		done
		for s in ${ZOO_SERVERS:-}; do
			echo "$s"
		done
	} >"$CONF"
fi
if [ -n "${ZOO_MY_ID:-}" ] && [ ! -f "$DATA/myid" ]; then
	mkdir -p "$DATA"
	echo "$ZOO_MY_ID" >"$DATA/myid"
fi

# shellcheck disable=SC2086 # JVMFLAGS is a list of words
exec java -Xmx256m -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true ${JVMFLAGS:-} \
	-cp "$(cat /etc/zkgo/classpath)" org.apache.zookeeper.server.quorum.QuorumPeerMain "$CONF"
