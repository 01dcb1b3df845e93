# Sourced by the scripts that start a sample Go program: they all print
# "LISTENING 127.0.0.1:PORT" on stdout once ready.
#
# wait_listening OUT ERR PID SECONDS: prints the address, or fails with the program's stderr
# when it exits or stays silent for SECONDS.
wait_listening() {
  local out=$1 err=$2 pid=$3 seconds=$4 address= i
  for ((i = 0; i < seconds * 10; i++)); do
    address=$(awk '/^LISTENING /{print $2; exit}' "$out")
    if [ -n "$address" ]; then
      echo "$address"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$err" >&2
      echo "the program exited before listening" >&2
      return 1
    fi
    sleep 0.1
  done
  cat "$err" >&2
  echo "the program did not print LISTENING within $seconds s" >&2
  return 1
}
