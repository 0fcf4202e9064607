# nts.sh - a test CA for NTS tests (sourced after common.sh).

# nts_test_certs NAME=SAN[@DAYS]...: $T_DIR/ca.crt, and for each NAME a key
# $T_DIR/NAME.key and a certificate $T_DIR/NAME.crt signed by that CA for the
# subjectAltName SAN, valid DAYS (default 2; -1: expired yesterday), e.g.
# good=IP:127.0.0.1 wrong=DNS:other.example old=IP:127.0.0.1@-1.
nts_test_certs() {
	local spec n san days
	(
		cd "$T_DIR" || exit 1
		set -e
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout ca.key -out ca.crt -subj /CN=domtimed-test-ca -days 2
		for spec in "$@"; do
			n=${spec%%=*} san=${spec#*=} days=2
			[ "${san#*@}" != "$san" ] && days=${san#*@} san=${san%@*}
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-keyout "$n.key" -out "$n.csr" -subj "/CN=$n"
			printf 'subjectAltName=%s\n' "$san" >"$n.ext"
			openssl x509 -req -in "$n.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
				-out "$n.crt" -days "$days" -extfile "$n.ext"
			chmod 644 "$n.key"
		done
	) >>"$T_DIR/openssl.log" 2>&1 || { fail "cannot make the test certificates"; exit 1; }
}
