# Sourced by the example checks: example_bin NAME [FEATURES] builds one
# example of the sesh-examples package (with those cargo features) and
# prints the path of its binary, wherever cargo's target dir is.
example_bin() {
  local name=$1 features=${2:-} dir
  cargo build --quiet -p sesh-examples --example "$name" ${features:+--features "$features"} >&2
  dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
  echo "$dir/debug/examples/$name"
}
