# Test fixture: the handler the shell bootstrap sources.
handler () {
  EVENT_DATA=$1
  echo "$EVENT_DATA" 1>&2
  echo "{\"echo\": $EVENT_DATA}"
}
