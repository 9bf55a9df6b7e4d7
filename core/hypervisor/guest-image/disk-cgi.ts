/**
 * GET /cgi-bin/disk?serial=S&op=write&offset=N&data=TEXT and `op=read&offset=N&length=N`: the
 * guest's test endpoint for its volumes. It finds the virtio disk whose serial is S (the
 * volume id's first 20 characters), writes TEXT at byte N with a flush to the device (so the
 * bytes reach the volume, not the guest's page cache), or reads bytes back, bypassing the
 * cache (so a disk attached again shows what the volume holds). TEXT is limited to
 * [A-Za-z0-9._-]: no URL decoding in a shell.
 */
export const DISK_CGI = `#!/bin/sh
q() { for kv in $(echo "$QUERY_STRING" | tr '&' ' '); do case "$kv" in "$1="*) echo "\${kv#*=}";; esac; done; }
answer() { printf 'Status: %s\\r\\nContent-Type: text/plain\\r\\n\\r\\n%s\\n' "$1" "$2"; exit 0; }
serial=$(q serial); op=$(q op); offset=$(q offset); data=$(q data); length=$(q length)
case "$offset" in ""|*[!0-9]*) offset=0;; esac
dev=""
for d in /sys/block/vd*; do
  [ -e "$d/serial" ] && [ -n "$serial" ] && [ "$(cat "$d/serial")" = "$serial" ] && dev=/dev/\${d##*/}
done
[ -n "$dev" ] || answer '404 Not Found' "no disk with serial $serial"
case "$op" in
  write)
    case "$data" in ""|*[!A-Za-z0-9._-]*) answer '400 Bad Request' 'data must be [A-Za-z0-9._-]+';; esac
    printf '%s' "$data" | dd of="$dev" bs=512 seek="$offset" oflag=seek_bytes conv=notrunc,fsync 2>/dev/null ||
      answer '500 Internal Server Error' "write to $dev failed"
    answer '200 OK' "wrote \${#data} bytes to $dev at $offset";;
  read)
    case "$length" in ""|*[!0-9]*) answer '400 Bad Request' 'length must be a number';; esac
    echo 3 > /proc/sys/vm/drop_caches 2>/dev/null
    printf 'Status: 200 OK\\r\\nContent-Type: application/octet-stream\\r\\n\\r\\n'
    dd if="$dev" bs=512 skip="$offset" count="$length" iflag=skip_bytes,count_bytes 2>/dev/null
    exit 0;;
  *) answer '400 Bad Request' 'op is write or read';;
esac
`;
