#!/usr/bin/env bash
# Makes the TLS certificates an sg lab needs, with openssl: a CA, a server certificate for the
# coordinator (valid for the names and addresses given) and client certificates (for mutual TLS).
#
#   deploy/make-certs.sh DIR [--server NAME[,NAME...]] [--client NAME]... [--days N]
#
#   DIR/ca.pem, DIR/ca.key             the CA (made once; reused when DIR/ca.pem exists, so more
#                                      clients can be added later). Keep ca.key offline.
#   DIR/server.pem, DIR/server.key     --server: the coordinator's certificate; each NAME becomes a
#                                      subjectAltName (IP for addresses, DNS otherwise).
#                                      Default: localhost,127.0.0.1
#   DIR/client-NAME.pem, .key          --client NAME (repeatable): a client certificate, CN=NAME
#
# Coordinator: --tls-cert DIR/server.pem --tls-key DIR/server.key [--tls-client-ca DIR/ca.pem]
# sgctl/sg-worker: --tls-ca DIR/ca.pem [--tls-cert DIR/client-NAME.pem --tls-key DIR/client-NAME.key]
# Keys are EC P-256, written mode 600. See docs/security.md.
set -euo pipefail

usage() {
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage ;; esac
dir=$1
shift
server_names=""
clients=()
days=825
while [ $# -gt 0 ]; do
  case "$1" in
    --server) [ $# -ge 2 ] || usage; server_names=$2; shift 2 ;;
    --client) [ $# -ge 2 ] || usage; clients+=("$2"); shift 2 ;;
    --days) [ $# -ge 2 ] || usage; days=$2; shift 2 ;;
    *) echo "make-certs.sh: unknown argument '$1' (allowed: --server, --client, --days)" >&2; exit 2 ;;
  esac
done
[ -n "$server_names" ] || server_names="localhost,127.0.0.1"
case "$days" in ''|*[!0-9]*) echo "make-certs.sh: --days: give a positive number of days" >&2; exit 2 ;; esac
command -v openssl >/dev/null || { echo "make-certs.sh: openssl not found (Debian: apt-get install openssl)" >&2; exit 1; }

mkdir -p "$dir"
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

new_key() {  # new_key FILE
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
  chmod 600 "$1"
}

# sign NAME CN EXTFILE: DIR/NAME.key + DIR/NAME.pem signed by the CA.
sign() {
  local name=$1 cn=$2 ext=$3
  new_key "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "/CN=$cn" -out "$work/$name.csr"
  openssl x509 -req -in "$work/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$days" -sha256 -extfile "$ext" \
    -out "$dir/$name.pem" 2>/dev/null
  chmod 644 "$dir/$name.pem"
}

if [ -f "$dir/ca.pem" ] && [ -f "$dir/ca.key" ]; then
  echo "make-certs.sh: reusing the CA in $dir/ca.pem" >&2
else
  new_key "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -subj "/CN=sg lab CA" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$dir/ca.pem"
  chmod 644 "$dir/ca.pem"
  echo "make-certs.sh: made the CA $dir/ca.pem (keep $dir/ca.key safe)" >&2
fi

san=""
first_name=""
IFS=',' read -r -a names <<< "$server_names"
for n in "${names[@]}"; do
  [ -n "$n" ] || continue
  [ -n "$first_name" ] || first_name=$n
  if [[ "$n" =~ ^[0-9.]+$ || "$n" == *:* ]]; then san+="IP:$n,"; else san+="DNS:$n,"; fi
done
[ -n "$san" ] || { echo "make-certs.sh: --server: give at least one name" >&2; exit 2; }
cat > "$work/server.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=${san%,}
EXT
sign server "$first_name" "$work/server.ext"
echo "make-certs.sh: made $dir/server.pem for ${san%,}" >&2

for c in "${clients[@]}"; do
  if [[ ! "$c" =~ ^[A-Za-z0-9._@-]+$ ]]; then
    echo "make-certs.sh: --client '$c': use letters, digits and . _ @ -" >&2
    exit 2
  fi
  cat > "$work/client.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
EXT
  sign "client-$c" "$c" "$work/client.ext"
  echo "make-certs.sh: made $dir/client-$c.pem" >&2
done
