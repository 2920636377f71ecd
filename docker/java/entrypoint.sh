#!/bin/sh
# zkgo-java entrypoint: runs Apache ZooKeeper (Debian's libzookeeper-java) in the foreground as
# PID 1, so `docker kill -s KILL|STOP|CONT` reaches the JVM itself.
#
# Configuration, in order of preference:
#   1. /conf/zoo.cfg (or $ZOO_CONF) mounted read-only, and myid in the mounted dataDir (/data);
#   2. no zoo.cfg: one is generated in /tmp from the environment, as the common ZooKeeper images
#      do: ZOO_MY_ID, ZOO_SERVERS ("server.1=h1:2888:3888;2181 server.2=..."), ZOO_TICK_TIME
#      (2000), ZOO_INIT_LIMIT (5), ZOO_SYNC_LIMIT (2), ZOO_MAX_CLIENT_CNXNS (60),
#      ZOO_4LW_COMMANDS_WHITELIST (srvr,ruok,stat,mntr,conf), dataDir /data, clientPort 2181.
# JVMFLAGS is appended to the default JVM flags (-Xmx256m -XX:+UseSerialGC).
set -eu

CONF=${ZOO_CONF:-/conf/zoo.cfg}
if [ ! -f "$CONF" ]; then
	CONF=/tmp/zoo.cfg
	{
		echo "tickTime=${ZOO_TICK_TIME:-2000}"
		echo "initLimit=${ZOO_INIT_LIMIT:-5}"
		echo "syncLimit=${ZOO_SYNC_LIMIT:-2}"
		echo "maxClientCnxns=${ZOO_MAX_CLIENT_CNXNS:-60}"
		echo "dataDir=/data"
		echo "clientPort=2181"
		echo "admin.enableServer=false"
		echo "4lw.commands.whitelist=${ZOO_4LW_COMMANDS_WHITELIST:-srvr,ruok,stat,mntr,conf}"
		for s in ${ZOO_SERVERS:-}; do
			echo "$s"
		done
	} >"$CONF"
fi
if [ -n "${ZOO_MY_ID:-}" ] && [ ! -f /data/myid ]; then
	mkdir -p /data
	echo "$ZOO_MY_ID" >/data/myid
fi

# shellcheck disable=SC2086 # JVMFLAGS is a list of words
exec java -Xmx256m -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true ${JVMFLAGS:-} \
	-cp "$(cat /etc/zkgo/classpath)" org.apache.zookeeper.server.quorum.QuorumPeerMain "$CONF"
