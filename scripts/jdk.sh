# Sourced by the other scripts: selects a JDK >= 21 (JAVA_HOME, then `java` on PATH, then /usr/lib/jvm/*)
# and puts it first on PATH, or stops with a clear message.

overseer_jdk_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n 1
}

overseer_select_jdk() {
  local candidates=() home major
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v javac >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  for home in /usr/lib/jvm/*; do candidates+=("$home"); done
  for home in "${candidates[@]}"; do
    [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || continue
    major=$(overseer_jdk_major "$home")
    if [ -n "$major" ] && [ "${major%%.*}" -ge 21 ] 2>/dev/null; then
      export JAVA_HOME="$home"
      export PATH="$home/bin:$PATH"
      return 0
    fi
  done
  echo "error: Overseer needs a JDK 21 or newer; none found in JAVA_HOME, on PATH or in /usr/lib/jvm." >&2
  echo "       Install one (e.g. Temurin 21+) and set JAVA_HOME to it." >&2
  exit 1
}

overseer_select_jdk
command -v mvn >/dev/null 2>&1 || { echo "error: Apache Maven (mvn) is not on PATH." >&2; exit 1; }
