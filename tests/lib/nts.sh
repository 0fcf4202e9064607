# nts.sh - a test CA for NTS tests (sourced after common.sh).

# nts_test_certs NAME=SAN...: $T_DIR/ca.crt, and for each NAME a key
# $T_DIR/NAME.key and a certificate $T_DIR/NAME.crt signed by that CA for the
# subjectAltName SAN (e.g. good=IP:127.0.0.1 wrong=DNS:other.example).
nts_test_certs() {
	local spec n
	(
		cd "$T_DIR" || exit 1
		set -e
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout ca.key -out ca.crt -subj /CN=domtimed-test-ca -days 2
		for spec in "$@"; do
			n=${spec%%=*}
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-keyout "$n.key" -out "$n.csr" -subj "/CN=$n"
			printf 'subjectAltName=%s\n' "${spec#*=}" >"$n.ext"
			openssl x509 -req -in "$n.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
				-out "$n.crt" -days 2 -extfile "$n.ext"
			chmod 644 "$n.key"
		done
	) >>"$T_DIR/openssl.log" 2>&1 || { fail "cannot make the test certificates"; exit 1; }
}
