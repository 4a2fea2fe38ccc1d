#!/usr/bin/env bash
# Bring up a real single-node Slurm cluster on this machine (Debian 12, root),
# for tests: munge + MariaDB + slurmdbd + slurmctld + slurmd.
# Partitions: cpu (default), gpu (4 fake GPUs as gres), preempt; QoS normal
# preempts QoS "preemptible" (REQUEUE). Idempotent: re-running restarts cleanly.
# Usage: sudo scripts/dev-cluster.sh [--cpus N]   (default 8; overcommits real cores)
# Matches site-configs/dev-cluster.toml. Safe to re-run: it restarts the daemons cleanly.
set -euo pipefail
CPUS=8
[[ "${1:-}" == "--cpus" ]] && CPUS="$2"
H=$(hostname)
STATE=/var/lib/hpcflow-test-slurm
need() { command -v "$1" >/dev/null 2>&1; }
die() { echo "test cluster: $1" >&2; tail -n 20 "$2" >&2 || true; exit 1; }
# wait_for SECONDS CMD...: poll CMD every 0.5 s until it succeeds
wait_for() { local n=$(( $1 * 2 )); shift; for _ in $(seq $n); do timeout 5 "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }

if ! need slurmctld || ! need slurmdbd || ! need mariadbd || ! need munged; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm slurmdbd munge mariadb-server >/dev/null
fi

# stop the Slurm daemons this script started before; a pid file may be stale, so kill a pid
# only if it still belongs to the daemon named in the file
for d in slurmd slurmctld slurmdbd; do
  pid=$(cat /run/$d.pid 2>/dev/null || true)
  if [[ -n $pid && "$(cat /proc/$pid/comm 2>/dev/null)" == "$d" ]]; then
    kill "$pid"
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
done

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
SlurmctldHost=$H
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
GresTypes=gpu
PreemptType=preempt/qos
PreemptMode=REQUEUE
JobRequeue=1
MaxArraySize=10001
MaxJobCount=100000
MinJobAge=300
KillWait=5
InactiveLimit=0
SchedulerParameters=batch_sched_delay=1,sched_min_interval=100000
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=$H
AccountingStorageTRES=gres/gpu
AccountingStorageEnforce=associations,limits,qos
JobAcctGatherType=jobacct_gather/linux
NodeName=$H CPUs=$CPUS RealMemory=16000 Gres=gpu:4 State=UNKNOWN
PartitionName=cpu Nodes=$H Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$H MaxTime=INFINITE State=UP
PartitionName=preempt Nodes=$H MaxTime=INFINITE State=UP
CONF
printf 'AutoDetect=off\nNodeName=%s Name=gpu File=%s/gpu/nvidia[0-3]\n' "$H" "$STATE" > /etc/slurm/gres.conf
echo "CgroupPlugin=cgroup/v1" > /etc/slurm/cgroup.conf

slurmdbd
wait_for 30 sacctmgr -n show cluster || die "slurmdbd did not come up" /var/log/slurm/slurmdbd.log
sacctmgr -i -Q add cluster hpctest >/dev/null 2>&1 || true
sacctmgr -i -Q add account default >/dev/null 2>&1 || true
sacctmgr -i -Q add user root account=default >/dev/null 2>&1 || true
sacctmgr -i -Q add qos preemptible Priority=0 PreemptMode=requeue >/dev/null 2>&1 || true
sacctmgr -i -Q modify qos normal set Preempt=preemptible >/dev/null 2>&1 || true
sacctmgr -i -Q modify user root set qos=normal,preemptible >/dev/null 2>&1 || true

slurmctld
wait_for 30 sh -c 'scontrol ping | grep -q UP' || die "slurmctld did not come up" /var/log/slurm/slurmctld.log
slurmd
scontrol update nodename="$H" state=resume >/dev/null 2>&1 || true
wait_for 30 sh -c 'sinfo -h -o %T | grep -qx idle' || die "slurmd did not register" /var/log/slurm/slurmd.log
sinfo
