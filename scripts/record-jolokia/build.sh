#!/bin/sh
# Builds kafscope-jolokia-agent.jar from KafscopeJolokiaAgent.java (JDK 17 javac), against Debian's
# jolokia-core 1.7.1 (libjolokia-core-java) and json-simple (libjson-simple-java).
# Output: scripts/record-jolokia/out/kafscope-jolokia-agent.jar  (only for recording fixtures)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
JOLOKIA_JAR=${JOLOKIA_JAR:-/usr/share/java/jolokia-core.jar}
JSON_SIMPLE_JAR=${JSON_SIMPLE_JAR:-/usr/share/java/json-simple.jar}
out=$here/out
rm -rf "$out"; mkdir -p "$out/classes"
javac --release 11 -d "$out/classes" -cp "$JOLOKIA_JAR:$JSON_SIMPLE_JAR" "$here/KafscopeJolokiaAgent.java"
# Class-Path (absolute file URLs, space separated) puts jolokia-core and json-simple on the system
# class path next to the agent, so the agent needs nothing else at run time.
cat > "$out/MANIFEST.MF" <<MF
Premain-Class: KafscopeJolokiaAgent
Class-Path: file://$JOLOKIA_JAR file://$JSON_SIMPLE_JAR
MF
jar --create --file "$out/kafscope-jolokia-agent.jar" --manifest "$out/MANIFEST.MF" -C "$out/classes" .
echo "built $out/kafscope-jolokia-agent.jar"
