# check_demo_table LOG: the demo's log ends with its results table, i.e. the
# line `=== demo results` followed by a header naming UAR and WAR and at
# least two rows of numbers. Sourced by .ci/run.
check_demo_table() {
  awk '
    /^=== demo results/ { seen = 1; header = 0; rows = 0; next }
    seen && /UAR/ && /WAR/ { header = 1; next }
    seen && header && /[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+/ { rows++ }
    END { exit !(seen && header && rows >= 2) }
  ' "$1" || {
    echo "[ci] $1: make demo did not print its final results table" \
         "(\`=== demo results\`, a UAR/WAR header and two result rows)"
    return 1
  }
  echo "[ci] demo results table found in $1"
}
