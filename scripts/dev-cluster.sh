#!/usr/bin/env bash
# Bring up a real Slurm cluster on this machine (Debian 12, root), for tests: munge + MariaDB +
# slurmdbd + slurmctld + slurmd. Each node claims 32000M (more than this machine has: --mem is a
# limit the cgroup enforces, not memory set aside, so the guides' 16Gi requests fit as they would).
# With --nodes N (N>=2): N nodes node1..nodeN, each slurmd in its own network + UTS + mount
# namespace (hostname = node name), on a bridge slurmbr 10.77.0.1/24 (node i at 10.77.0.1i).
# Partitions: cpu (default), gpu (4 fake GPUs as gres), preempt; QoS normal
# preempts QoS "preemptible" (REQUEUE); QoS "capped" allows 20 queued jobs per user and 12 h per job.
# Idempotent: re-running restarts cleanly.
# Usage: sudo scripts/dev-cluster.sh [--cpus N] [--enforce-memory] [--nodes N] [--user NAME ...]
#   --cpus N          CPUs Slurm believes the node has (default 8; overcommits real cores)
#   --nodes N         N slurmd nodes (default 1: the machine's hostname, no namespaces); 2..9
#   --enforce-memory  memory is a consumable resource and --mem is a hard limit (cgroup v1 here):
#                     a job over its --mem ends OUT_OF_MEMORY, and sacct's MaxRSS is sampled
#                     every second, as on a production cluster. Jobs without --mem get 1000M a CPU.
#   --user NAME       an ordinary user who may submit (repeatable): created if missing, with a
#                     Slurm association in account "default" and QoS normal and preemptible
#   --share-group G   a Unix group (created if missing) that every --user joins: for a shared cache
#   --clean           forget every job the controller remembers (slurmctld -c): a machine that
#                     stopped mid-run (CI on a session's machine) would otherwise start its old
#                     queue again and the tests would share the node with it
# Matches site-configs/dev-cluster.toml; scripts/test.sh starts it with --clean --nodes 3 --enforce-memory.
set -euo pipefail
CPUS=8; MEMORY=0; NODES=1; USERS=(root); SHARE_GROUP=""; CLEAN=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cpus) CPUS="$2"; shift 2 ;;
    --enforce-memory) MEMORY=1; shift ;;
    --clean) CLEAN=1; shift ;;
    --nodes) NODES="$2"; shift 2 ;;
    --user) [[ $2 =~ ^[a-z_][a-z0-9_-]*$ ]] || { echo "--user takes a user name" >&2; exit 2; }
            USERS+=("$2"); shift 2 ;;
    --share-group) [[ $2 =~ ^[a-z_][a-z0-9_-]*$ ]] || { echo "--share-group takes a group name" >&2; exit 2; }
            SHARE_GROUP="$2"; shift 2 ;;
    *) echo "usage: $0 [--cpus N] [--enforce-memory] [--nodes N] [--user NAME ...] [--share-group G] [--clean]" >&2; exit 2 ;;
  esac
done
[[ $NODES =~ ^[1-9]$ ]] || { echo "--nodes must be 1..9" >&2; exit 2; }
if [[ $MEMORY == 1 ]]; then
  PROCTRACK=proctrack/cgroup; TASK=task/cgroup; SELECT="CR_Core_Memory
DefMemPerCPU=1000"; GATHER="jobacct_gather/cgroup
JobAcctGatherFrequency=task=1"
  CGROUP="CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
ConstrainRAMSpace=yes
ConstrainSwapSpace=no
ConstrainCores=no
ConstrainDevices=no"
else
  PROCTRACK=proctrack/linuxproc; TASK=task/none; SELECT=CR_Core; GATHER=jobacct_gather/linux
  CGROUP="CgroupPlugin=cgroup/v1"
fi
H=$(hostname)
STATE=/var/lib/hpcflow-test-slurm
NET=10.77.0; BR=slurmbr
if [[ $NODES == 1 ]]; then
  CTLD=$H; ACCT=$H; NODELIST=$H
  SPOOL=/var/spool/slurmd; PIDF=/run/slurmd.pid; LOGF=/var/log/slurm/slurmd.log
  NODECONF="NodeName=$H CPUs=$CPUS RealMemory=32000 Gres=gpu:4 State=UNKNOWN"
else
  # clients inside the namespaces reach the controller and slurmdbd at the bridge address
  CTLD="$H($NET.1)"; ACCT=$NET.1; NODELIST="node[1-$NODES]"
  SPOOL=/var/spool/slurmd-%n; PIDF=/run/slurmd-%n.pid; LOGF=/var/log/slurm/slurmd-%n.log
  NODECONF=$(for i in $(seq $NODES); do
    echo "NodeName=node$i NodeAddr=$NET.1$i CPUs=$CPUS RealMemory=32000 Gres=gpu:4 State=UNKNOWN"; done)
fi
need() { command -v "$1" >/dev/null 2>&1; }
die() { echo "test cluster: $1" >&2; tail -n 20 "$2" >&2 || true; exit 1; }
# wait_for SECONDS CMD...: poll CMD every 0.5 s until it succeeds
wait_for() { local n=$(( $1 * 2 )); shift; for _ in $(seq $n); do timeout 5 "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }

# libpmix-dev: Slurm's PMIx plugin (srun --mpi=pmix, how MPI ranks start) loads the unversioned libpmix.so
if ! need slurmctld || ! need slurmdbd || ! need mariadbd || ! need munged || ! dpkg -s libpmix-dev >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm slurmdbd munge mariadb-server libpmix-dev >/dev/null
fi

# stop the Slurm daemons this script started before; a pid file may be stale, so kill a pid
# only if it still belongs to the daemon named in the file
for f in /run/slurmd.pid /run/slurmd-node[1-9].pid /run/slurmctld.pid /run/slurmdbd.pid; do
  [[ -f $f ]] || continue
  d=$(basename "$f" .pid); d=${d%%-*}
  pid=$(cat "$f" 2>/dev/null || true)
  if [[ -n $pid && "$(cat /proc/$pid/comm 2>/dev/null)" == "$d" ]]; then
    kill "$pid"
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
done

# the multi-node network. Each node: netns slurm-nodeI, veth sl-nodeI (root side, on the
# bridge) <-> eth0 (inside) at $NET.1I. Kept across re-runs with the same --nodes, so jobs
# left running keep their network; removed for --nodes 1. No default route inside and
# ip_forward untouched: a node reaches only the bridge subnet.
for ns in $(ip netns list | awk '$1 ~ /^slurm-node[1-9]$/ {print $1}'); do
  i=${ns#slurm-node}
  if [[ $NODES == 1 || $i -gt $NODES || $(ip -n "$ns" -br addr show eth0 2>/dev/null) != *" $NET.1$i/24"* ]]; then
    ip link del sl-node$i 2>/dev/null || true; ip netns del "$ns"
  fi
done
rm -f /run/slurmd-node[1-9].pid
if [[ $NODES == 1 ]]; then
  if ip link show $BR >/dev/null 2>&1; then ip link del $BR; fi
else
  if ! ip link show $BR >/dev/null 2>&1; then
    ip link add $BR type bridge; sysctl -qw net.ipv6.conf.$BR.disable_ipv6=1
    ip addr add $NET.1/24 dev $BR
  fi
  ip link set $BR up
  mkdir -p $STATE
  # /etc/hosts inside the nodes: this machine's, but its hostname at the bridge address
  { awk -v h="$H" '{for (i = 2; i <= NF; i++) if ($i == h) next} 1' /etc/hosts; echo "$NET.1 $H"
    for i in $(seq $NODES); do echo "$NET.1$i node$i"; done; } > $STATE/hosts.new
  mv $STATE/hosts.new $STATE/hosts
  for i in $(seq $NODES); do
    mkdir -p /var/spool/slurmd-node$i
    if [[ ! -e /run/netns/slurm-node$i ]]; then
      ip link del sl-node$i 2>/dev/null || true
      ip netns add slurm-node$i
      ip netns exec slurm-node$i sysctl -qw net.ipv6.conf.default.disable_ipv6=1   # eth0: IPv4 only
      ip link add sl-node$i type veth peer name eth0 netns slurm-node$i
      sysctl -qw net.ipv6.conf.sl-node$i.disable_ipv6=1
      ip -n slurm-node$i addr add $NET.1$i/24 dev eth0
      ip -n slurm-node$i link set eth0 up; ip -n slurm-node$i link set lo up
    fi
    ip link set sl-node$i master $BR up
  done
fi

mkdir -p $STATE/gpu /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /run/mysqld
chown munge:munge /run/munge; chown mysql:mysql /run/mysqld
# gres needs character devices; these stand in for GPUs (same device as /dev/null)
for i in 0 1 2 3; do [[ -c $STATE/gpu/nvidia$i ]] || mknod $STATE/gpu/nvidia$i c 1 3; done

pgrep -x munged >/dev/null || su -s /bin/sh munge -c /usr/sbin/munged
if ! mysqladmin ping >/dev/null 2>&1; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  for _ in $(seq 30); do mysqladmin ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
mysql -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
  CREATE USER IF NOT EXISTS 'slurm'@'localhost';
  ALTER USER 'slurm'@'localhost' IDENTIFIED BY 'slurm';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"

cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=$H
SlurmUser=root
LogFile=/var/log/slurm/slurmdbd.log
PidFile=/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
CONF
chmod 600 /etc/slurm/slurmdbd.conf

cat > /etc/slurm/slurm.conf <<CONF
ClusterName=hpctest
SlurmctldHost=$CTLD
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=$SPOOL
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=$PIDF
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=$LOGF
ProctrackType=$PROCTRACK
TaskPlugin=$TASK
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=$SELECT
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
GresTypes=gpu
PreemptType=preempt/qos
PreemptMode=REQUEUE
JobRequeue=1
MaxArraySize=1001
MaxJobCount=100000
MinJobAge=300
KillWait=5
InactiveLimit=0
SchedulerParameters=batch_sched_delay=1,sched_min_interval=100000
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=$ACCT
AccountingStorageTRES=gres/gpu
AccountingStorageEnforce=associations,limits,qos
JobAcctGatherType=$GATHER
$NODECONF
PartitionName=cpu Nodes=$NODELIST Default=YES MaxTime=2-00:00:00 State=UP
PartitionName=gpu Nodes=$NODELIST MaxTime=1-00:00:00 State=UP
PartitionName=preempt Nodes=$NODELIST MaxTime=1-00:00:00 State=UP
CONF
# srun --mpi=pmix: PMIx makes its client directory under /tmp, which the nodes here share; each
# node's slurmd reads its own mpi.conf (bound over /etc/slurm/mpi.conf in its mount namespace)
: > /etc/slurm/mpi.conf
if [[ $NODES != 1 ]]; then
  for i in $(seq $NODES); do
    mkdir -p /var/spool/slurmd-node$i/pmix; chmod 1777 /var/spool/slurmd-node$i/pmix
    echo "PMIxCliTmpDirBase=/var/spool/slurmd-node$i/pmix" > $STATE/mpi-node$i.conf
  done
fi
printf 'AutoDetect=off\nNodeName=%s Name=gpu File=%s/gpu/nvidia[0-3]\n' "$NODELIST" "$STATE" > /etc/slurm/gres.conf
printf "%s\n" "$CGROUP" > /etc/slurm/cgroup.conf

slurmdbd
wait_for 30 sacctmgr -n show cluster || die "slurmdbd did not come up" /var/log/slurm/slurmdbd.log
sacctmgr -i -Q add cluster hpctest >/dev/null 2>&1 || true
sacctmgr -i -Q add account default >/dev/null 2>&1 || true
sacctmgr -i -Q add qos preemptible Priority=0 PreemptMode=requeue >/dev/null 2>&1 || true
sacctmgr -i -Q modify qos normal set Preempt=preemptible >/dev/null 2>&1 || true
# a QoS with a production-like cap on queued jobs per user (every array task counts)
sacctmgr -i -Q add qos capped MaxSubmitJobsPerUser=20 >/dev/null 2>&1 || true
sacctmgr -i -Q modify qos capped set MaxWall=12:00:00 >/dev/null 2>&1 || true  # a QoS MaxWall below the partitions' MaxTime
for user in "${USERS[@]}"; do
  id -u "$user" >/dev/null 2>&1 || useradd --create-home --user-group --shell /bin/bash "$user"
  sacctmgr -i -Q add user "$user" account=default >/dev/null 2>&1 || true
  sacctmgr -i -Q modify user "$user" set qos=normal,preemptible,capped >/dev/null 2>&1 || true
  if [[ -n $SHARE_GROUP && $user != root ]]; then
    getent group "$SHARE_GROUP" >/dev/null || groupadd "$SHARE_GROUP"
    usermod -a -G "$SHARE_GROUP" "$user"
  fi
done

if [[ $CLEAN == 1 ]]; then
  # job ids go on from the accounting database's last, so that no sacct record is shared by two jobs
  last=$(sacct -n -X -a -P -S 2000-01-01 -o jobidraw 2>/dev/null | sort -n | tail -1 || true)
  [[ $last =~ ^[0-9]+$ ]] && echo "FirstJobId=$((last + 1))" >> /etc/slurm/slurm.conf
  rm -rf /var/spool/slurmd/job* /var/spool/slurmd-node*/job*   # the old jobs' scripts
  slurmctld -c
else
  slurmctld
fi
wait_for 30 sh -c 'scontrol ping | grep -q UP' || die "slurmctld did not come up" /var/log/slurm/slurmctld.log
if [[ $NODES == 1 ]]; then
  slurmd
else
  # net namespace of the node; own UTS (hostname = node name) and mount namespace, in which
  # /etc/hosts names the nodes and the controller by their bridge addresses
  for i in $(seq $NODES); do
    nsenter --net=/run/netns/slurm-node$i -- unshare --uts --mount --propagation slave -- \
      sh -c "mount --bind $STATE/hosts /etc/hosts && mount --bind $STATE/mpi-node$i.conf /etc/slurm/mpi.conf &&
             hostname node$i && exec slurmd -N node$i"
  done
fi
scontrol update nodename="$NODELIST" state=resume >/dev/null 2>&1 || true
# registered = answering: idle, or running jobs (mix, alloc) that a restart without --clean kept
wait_for 30 sh -c "[ \$(sinfo -h -N -p cpu -t idle,mix,alloc,completing -o %N | sort -u | wc -l) -eq $NODES ]" ||
  die "slurmd did not register (sinfo: $(sinfo -h -N -o '%N %T' | tr '\n' ' '))" "/var/log/slurm/slurmd$([[ $NODES == 1 ]] || echo -node1).log"
sinfo
