/**
 * The scripts inside the guest's initramfs (busybox sh). The guest is deliberately tiny: it
 * proves a build booted the right instance (the console marker carries the SMBIOS UUID QEMU
 * got from `-uuid`), and it answers `GET /nimbus/info` so tests and users can see what the
 * guest sees (addresses, hot-plugged disks with their serials), and `GET /nimbus/ping?addr=IP`
 * so a test can ask one guest whether it reaches another.
 *
 * Every NIC gets its address from the guest's own DHCP client (udhcpc), also a NIC
 * hot-plugged after boot (a port plugged into a running guest): a watcher brings each new
 * ethN up and starts udhcpc on it, which keeps renewing. While no DHCP server answers, the
 * NIC takes an IPv4 link-local address derived from its MAC (169.254.X.Y), so guests of one
 * segment still reach each other; a lease replaces it. Each address is printed on the
 * console as `nimbus: IF ADDR/N`.
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
  : > /run/nic.eth0
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
# NICs that come later (ports hot-plugged into the running guest): up, then DHCP, renewed in the background.
while :; do
  for d in /sys/class/net/eth*; do
    i=\${d##*/}
    [ -e "$d" ] && [ ! -e /run/nic.$i ] || continue
    : > /run/nic.$i
    ip link set "$i" up
    NIMBUS_FALLBACK=1 udhcpc -i "$i" -b -t 3 -T 1 -A 5 -s /etc/udhcpc.script -p /run/udhcpc.$i.pid >/dev/null 2>&1
  done
  sleep 1
done &
# PID 1 must never exit (the kernel would panic); hot-plugged disks get nodes from devtmpfs.
while :; do sleep 3600; done
`;

/**
 * udhcpc's hook: configure the lease it got (busybox passes ip, subnet, router); the first
 * router only while the guest has no default route (eth0's wins). On a failed attempt of a
 * hot-plugged NIC's client (NIMBUS_FALLBACK), a NIC without an address takes a link-local one
 * from its MAC's last two bytes; a later lease replaces it (ifconfig sets the primary address).
 */
export const UDHCPC_SCRIPT = `#!/bin/sh
show() { ip -4 -o addr show dev "$interface" | awk '{print "nimbus: " $2 " " $4}' > /dev/console; }
case "$1" in
  bound|renew)
    ifconfig "$interface" "$ip" netmask "\${subnet:-255.255.255.0}"
    if ! ip route | grep -q '^default'; then
      for r in $router; do route add default gw "$r" dev "$interface"; break; done
    fi
    [ "$1" = bound ] && show
    ;;
  leasefail)
    if [ -n "$NIMBUS_FALLBACK" ] && ! ip -4 addr show dev "$interface" | grep -q inet; then
      set -- $(sed 's/:/ /g' /sys/class/net/$interface/address)
      ip addr add 169.254.$((1 + 0x$5 % 254)).$((0x$6))/16 dev "$interface" && show
    fi
    ;;
esac
exit 0
`;

/**
 * busybox httpd runs CGIs from /cgi-bin/ only; /nimbus/NAME is a directory without an
 * index.html, for which httpd runs /cgi-bin/index.cgi (a request without the trailing slash
 * is first redirected to /nimbus/NAME/). This dispatcher runs /cgi-bin/nimbus-NAME.cgi (an
 * endpoint of initramfs.ts's GUEST_ENDPOINTS), anything else answers 404.
 */
export const DISPATCH_CGI = `#!/bin/sh
path=\${REQUEST_URI%%\\?*}
name=\${path#/nimbus/}; name=\${name%/}
case "$path" in /nimbus/*) ;; *) name="";; esac
case "$name" in ""|*[!a-z0-9-]*) name="";; esac
if [ -n "$name" ] && [ -x "/www/cgi-bin/nimbus-$name.cgi" ]; then exec "/www/cgi-bin/nimbus-$name.cgi"; fi
printf 'Status: 404 Not Found\\r\\nContent-Type: text/plain\\r\\n\\r\\nnot found\\n'
`;

/**
 * GET /nimbus/ping?addr=A.B.C.D: two echoes from the guest, answered as
 * {"reachable": true|false, "output": "<ping's output>"} (400 without a valid addr).
 */
export const PING_CGI = `#!/bin/sh
addr=$(echo "$QUERY_STRING" | tr '&' '\\n' | sed -n 's/^addr=//p' | head -n 1)
case "$addr" in
  *[!0-9.]*|"") printf 'Status: 400 Bad Request\\r\\nContent-Type: application/json\\r\\n\\r\\n'
    printf '{"error":"addr=A.B.C.D is required"}\\n'; exit 0;;
esac
out=$(ping -c 2 -W 3 "$addr" 2>&1) && reachable=true || reachable=false
esc=$(printf '%s\\n' "$out" | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g' | awk '{printf "%s\\\\n", $0}')
printf 'Content-Type: application/json\\r\\n\\r\\n{"reachable":%s,"output":"%s"}\\n' "$reachable" "$esc"
`;

/** GET /nimbus/info: hostname, instance id, addresses, disks with size and serial. */
export const INFO_CGI = `#!/bin/sh
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
