# Sourced by the scripts that need a throwaway tinybird/local (quickstart, claude-e2e, bench-hooks).
#
# start_local_server DIR [RUN-ARGS...]
#   Starts tinybird/local on a free port with its data in DIR/tb-data and its output in
#   DIR/server.out / DIR/server.err, and waits (at most 120 s) until it prints its URL and token.
#   Sets server_pid, tb_url and tb_token. On failure prints the server's stderr and returns 1; the
#   caller's exit trap stops "$server_pid" either way.
start_local_server() {
    local dir="$1"
    shift
    "$(dirname "${BASH_SOURCE[0]}")/../../tinybird/local/run" --port 0 --data-dir "$dir/tb-data" "$@" \
        >"$dir/server.out" 2>"$dir/server.err" &
    server_pid=$!
    for _ in $(seq 600); do
        if grep -q '^token: ' "$dir/server.out" 2>/dev/null; then
            tb_url="$(sed -n 's/^url: //p' "$dir/server.out")"
            tb_token="$(sed -n 's/^token: //p' "$dir/server.out")"
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.2
    done
    echo "tinybird/local did not start:" >&2
    cat "$dir/server.err" >&2
    return 1
}
