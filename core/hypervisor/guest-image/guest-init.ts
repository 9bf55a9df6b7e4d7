/**
 * The scripts inside the guest's initramfs (busybox sh). The guest is deliberately tiny: it
 * proves a build booted the right instance (the console marker carries the SMBIOS UUID QEMU
 * got from `-uuid`), and it answers `GET /nimbus/info` so tests and users can see what the
 * guest sees (addresses, hot-plugged disks with their serials).
 *
 * Kernel command line settings the init reads (the QEMU driver writes them):
 *   nimbus.hostname=NAME   the guest's hostname (default: nimbus-guest)
 *   nimbus.ip=A.B.C.D/N    a static address for eth0 when no DHCP server answers
 *   nimbus.gw=A.B.C.D      its default gateway
 *   nimbus.instance=ID     fallback instance id when the firmware gave no SMBIOS UUID
 */

/** The marker a booted guest prints on its console, ` instance=<id>` after it; then `nimbus: IF ADDR/N` lines. */
export const GUEST_READY_MARKER = 'NIMBUS-GUEST-READY';

/** The kernel modules the guest needs; the build adds their dependencies and orders them. */
export const GUEST_MODULES = [
  'virtio',
  'virtio_ring',
  'virtio_pci_legacy_dev',
  'virtio_pci_modern_dev',
  'virtio_pci',
  'failover',
  'net_failover',
  'virtio_net',
  'virtio_blk',
];

export const INIT_SCRIPT = `#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /tmp /run && mount -t devpts devpts /dev/pts
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m.ko 2>/dev/null; done
arg() { for w in $(cat /proc/cmdline); do case "$w" in "$1="*) echo "\${w#*=}";; esac; done; }
id=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null | tr 'A-Z' 'a-z')
case "$id" in ""|00000000-0000-0000-0000-000000000000) id=$(arg nimbus.instance);; esac
echo "$id" > /run/instance-id
name=$(arg nimbus.hostname); hostname "\${name:-nimbus-guest}"
ip link set lo up
n=0; while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 20 ]; do sleep 0.1; n=$((n+1)); done
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  static=$(arg nimbus.ip)
  if ! udhcpc -i eth0 -n -q -t 3 -T 1 -s /etc/udhcpc.script >/dev/null 2>&1 && [ -n "$static" ]; then
    ip addr add "$static" dev eth0
    gw=$(arg nimbus.gw); [ -n "$gw" ] && ip route add default via "$gw"
  fi
fi
httpd -p 80 -h /www
echo "${GUEST_READY_MARKER} instance=$id"
ip -4 addr show | awk '/^[0-9]+:/ {i = $2; sub(":", "", i)} $1 == "inet" && i != "lo" {print "nimbus: " i " " $2}'
# PID 1 must never exit (the kernel would panic); hot-plugged disks get nodes from devtmpfs.
while :; do sleep 3600; done
`;

/** udhcpc's hook: configure the lease it got (busybox passes ip, subnet, router). */
export const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  bound|renew)
    ifconfig "$interface" "$ip" netmask "\${subnet:-255.255.255.0}"
    for r in $router; do route add default gw "$r" dev "$interface"; break; done
    ;;
esac
exit 0
`;

/**
 * GET /nimbus/info. busybox httpd runs CGIs from /cgi-bin/ only; /nimbus/info is a directory
 * without an index.html, for which httpd runs /cgi-bin/index.cgi (a request without the
 * trailing slash is first redirected to /nimbus/info/). Any other directory answers 404.
 */
export const INFO_CGI = `#!/bin/sh
case "$REQUEST_URI" in
  /nimbus/info|/nimbus/info/|/nimbus/info/?*) ;;
  *) printf 'Status: 404 Not Found\\r\\nContent-Type: text/plain\\r\\n\\r\\nnot found\\n'; exit 0;;
esac
addrs=""
for a in $(ip -4 addr show | awk '/^[0-9]+:/ {i = $2; sub(":", "", i)} $1 == "inet" && i != "lo" {print i "=" $2}')
do
  addrs="$addrs\${addrs:+,}{\\"interface\\":\\"\${a%%=*}\\",\\"address\\":\\"\${a#*=}\\"}"
done
disks=""
for d in /sys/block/vd*; do
  [ -e "$d" ] || continue
  name=\${d##*/}; sectors=$(cat "$d/size"); serial=$(cat "$d/serial" 2>/dev/null)
  disks="$disks\${disks:+,}{\\"name\\":\\"$name\\",\\"size\\":$((sectors * 512)),\\"serial\\":\\"$serial\\"}"
done
printf 'Content-Type: application/json\\r\\n\\r\\n'
printf '{"hostname":"%s","instanceId":"%s","addresses":[%s],"disks":[%s]}\\n' \\
  "$(hostname)" "$(cat /run/instance-id)" "$addrs" "$disks"
`;
