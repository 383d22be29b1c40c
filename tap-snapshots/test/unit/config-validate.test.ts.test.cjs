/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/config-validate.test.ts > TAP > [health]: a check, its timings and what an unhealthy container gets > bad [health] values 1`] = `
lite: error: test/fixtures/config/good/x.ini:6: [health] cmd: empty command (write none to turn off the image's health check)
lite: error: test/fixtures/config/good/x.ini:7: [health] interval: "5x": unknown unit "x" (use ms, s, m or h)
lite: error: test/fixtures/config/good/x.ini:8: [health] timeout: 25h is out of range (100ms..24h)
lite: error: test/fixtures/config/good/x.ini:9: [health] retries: 0 is out of range (1..100)
lite: error: test/fixtures/config/good/x.ini:10: [health] start_period: "-1s": a duration can't be negative
lite: error: test/fixtures/config/good/x.ini:11: [health] on_unhealthy: "stop" is not one of: none, restart
lite: 6 errors in test/fixtures/config/good/x.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > an unreadable file > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/no-such-file.ini: No such file or directory (ENOENT)
lite: 1 error in test/fixtures/config/bad/no-such-file.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > bad-bool.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/bad-bool.ini:6: [exec] init: "maybe" is not a boolean (use yes/no, true/false, on/off or 1/0)
lite: 1 error in test/fixtures/config/bad/bad-bool.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > bad-dns.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/bad-dns.ini:8: [net] dns: "192.0.2" is not an IP address
lite: 1 error in test/fixtures/config/bad/bad-dns.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > bad-groups.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/bad-groups.ini:6: [exec] groups: "wheel" is not a group id (a number from 0 to 4294967294)
lite: 1 error in test/fixtures/config/bad/bad-groups.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > bad-hostname.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/bad-hostname.ini:2: [container] hostname: "-sensor-" is not a valid hostname (at most 64 characters; labels of letters, digits and '-', separated by '.')
lite: 1 error in test/fixtures/config/bad/bad-hostname.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > bad-hosts.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/bad-hosts.ini:8: [net] hosts: "192.0.2.10" is not "ADDRESS NAME [NAME...]"
lite: 1 error in test/fixtures/config/bad/bad-hosts.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > bad-localtime.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/bad-localtime.ini:2: [container] localtime: "copy" is not one of: host, none
lite: 1 error in test/fixtures/config/bad/bad-localtime.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > bad-name.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/bad-name.ini:2: [container] name: "My_App" is not a valid container name (1 to 63 of a-z 0-9 _ . -, starting with a letter or digit)
lite: 1 error in test/fixtures/config/bad/bad-name.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > bad-signal.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/bad-signal.ini:6: [exec] stop_signal: "SIGSTOPP" is not a signal (use a name like SIGTERM or TERM, or a number from 1 to 64)
lite: 1 error in test/fixtures/config/bad/bad-signal.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > bad-size.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/bad-size.ini:3: [rootfs] size: "64 MB" is not a size (use bytes, or a number with K, M, G or T: 512K, 64M, 1G)
lite: 1 error in test/fixtures/config/bad/bad-size.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > bad-user.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/bad-user.ini:6: [exec] user: "nobody" is not uid[:gid] (numbers from 0 to 4294967294; names are not looked up)
lite: 1 error in test/fixtures/config/bad/bad-user.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > comment-after-quoted-value.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/comment-after-quoted-value.ini:2: [rootfs] path: with a comment after a quoted value, ini would keep the quotes in the value; move the comment to its own line
lite: 1 error in test/fixtures/config/bad/comment-after-quoted-value.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > crlf-line-numbers.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/crlf-line-numbers.ini:6: [exec] user: "root" is not uid[:gid] (numbers from 0 to 4294967294; names are not looked up)
lite: 1 error in test/fixtures/config/bad/crlf-line-numbers.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > dns-with-resolv-conf.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/dns-with-resolv-conf.ini:9: [net] dns: generates resolv.conf, which conflicts with resolv_conf = rootfs (line 8); remove one of them
lite: 1 error in test/fixtures/config/bad/dns-with-resolv-conf.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > dotted-section.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/dotted-section.ini:7: malformed section header "[net.0]": a section name is letters, digits, '-' and '_'
lite: 1 error in test/fixtures/config/bad/dotted-section.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > duplicate-key-across-headers.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/duplicate-key-across-headers.ini:8: duplicate key "cmd" in [exec] (first at line 2); write "cmd[] = ..." for lists
lite: 1 error in test/fixtures/config/bad/duplicate-key-across-headers.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > duplicate-key.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/duplicate-key.ini:8: duplicate key "cwd" in [exec] (first at line 6); write "cwd[] = ..." for lists
lite: 1 error in test/fixtures/config/bad/duplicate-key.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > empty-file.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/empty-file.ini:1: missing required key [rootfs] path
lite: error: test/fixtures/config/bad/empty-file.ini:1: missing required key [exec] cmd
lite: 2 errors in test/fixtures/config/bad/empty-file.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > env-bad-key.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/env-bad-key.ini:6: [exec] env: "2FAST=1" is not KEY=VALUE (KEY is letters, digits and '_', not starting with a digit)
lite: 1 error in test/fixtures/config/bad/env-bad-key.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > env-duplicate.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/env-duplicate.ini:8: [exec] env: "TZ" is already set at line 6
lite: 1 error in test/fixtures/config/bad/env-duplicate.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > header-with-comment.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/header-with-comment.ini:4: malformed section header "[exec] ; the program": write "[name]" alone on its line
lite: 1 error in test/fixtures/config/bad/header-with-comment.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > hook-bare-name.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/hook-bare-name.ini:8: [hook] post-stop: "logger": No such file or directory (ENOENT); a hook is an absolute path or a path relative to the config file
lite: 1 error in test/fixtures/config/bad/hook-bare-name.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > hook-not-executable.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/hook-not-executable.ini:8: [hook] pre-start: "../hooks/not-executable.sh" is not executable
lite: 1 error in test/fixtures/config/bad/hook-not-executable.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > hostname-from-name.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/hostname-from-name.ini: [container] hostname: not set, and its default (the container name) "sensor_py" is not a valid hostname (at most 64 characters; labels of letters, digits and '-', separated by '.'); set it explicitly
lite: 1 error in test/fixtures/config/bad/hostname-from-name.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > indented-header.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/indented-header.ini:4: section header "[exec]" must start in the first column
lite: 1 error in test/fixtures/config/bad/indented-header.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > keep-net.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/keep-net.ini:8: [namespaces] keep: "net" is not kept here; use [net] type = host to share the host's network
lite: 1 error in test/fixtures/config/bad/keep-net.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > keep-pid.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/keep-pid.ini:8: [namespaces] keep: the mount and pid namespaces are always new; remove "pid"
lite: 1 error in test/fixtures/config/bad/keep-pid.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > keep-uts-with-hostname.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/keep-uts-with-hostname.ini:11: [namespaces] keep: uts is the host's, so [container] hostname (line 2) can't be set; remove one of them
lite: 1 error in test/fixtures/config/bad/keep-uts-with-hostname.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > key-in-wrong-section.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/key-in-wrong-section.ini:6: unknown key "hostname" in [exec]; it belongs in [container]
lite: 1 error in test/fixtures/config/bad/key-in-wrong-section.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > list-without-brackets.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/list-without-brackets.ini:6: [exec] env is a list; write "env[] = ..." on each line
lite: 1 error in test/fixtures/config/bad/list-without-brackets.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > malformed-header.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/malformed-header.ini:4: malformed section header "[exec": write "[name]" alone on its line
lite: 1 error in test/fixtures/config/bad/malformed-header.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > many-errors.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/many-errors.ini:4: [container] name: "Sensor" is not a valid container name (1 to 63 of a-z 0-9 _ . -, starting with a letter or digit)
lite: error: test/fixtures/config/bad/many-errors.ini:5: unknown key "hostanme" in [container] (did you mean "hostname"?)
lite: error: test/fixtures/config/bad/many-errors.ini:7: unknown section [rootf] (did you mean [rootfs]?)
lite: error: test/fixtures/config/bad/many-errors.ini:11: [exec] cmd: unquoted ';' would cut the value here; quote the whole value ('...') or escape it as \\;
lite: error: test/fixtures/config/bad/many-errors.ini:12: [exec] user: "root" is not uid[:gid] (numbers from 0 to 4294967294; names are not looked up)
lite: error: test/fixtures/config/bad/many-errors.ini:13: [exec] init: "perhaps" is not a boolean (use yes/no, true/false, on/off or 1/0)
lite: error: test/fixtures/config/bad/many-errors.ini:15: duplicate key "stop_timeout" in [exec] (first at line 14); write "stop_timeout[] = ..." for lists
lite: error: test/fixtures/config/bad/many-errors.ini:16: [exec] env is a list; write "env[] = ..." on each line
lite: error: test/fixtures/config/bad/many-errors.ini:19: [mount] entry: "/srv /data ext4 bind": a bind mount needs the type "none" or "bind", not "ext4"
lite: error: test/fixtures/config/bad/many-errors.ini:22: [limits] nofile: "10:5": the soft limit is above the hard limit
lite: error: test/fixtures/config/bad/many-errors.ini:23: unknown key "memroy" in [limits]
lite: error: test/fixtures/config/bad/many-errors.ini:26: [net] type: "nat" is not a network type (use none, host, bridge, macvlan, ipvlan, container:NAME or netns:PATH)
lite: 12 errors in test/fixtures/config/bad/many-errors.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > missing-cmd.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/missing-cmd.ini:4: missing required key [exec] cmd
lite: 1 error in test/fixtures/config/bad/missing-cmd.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > missing-equals.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/missing-equals.ini:6: missing '=' in "init"
lite: 1 error in test/fixtures/config/bad/missing-equals.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > missing-rootfs-path.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/missing-rootfs-path.ini:1: missing required key [rootfs] path
lite: 1 error in test/fixtures/config/bad/missing-rootfs-path.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > mixed-list-form.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/mixed-list-form.ini:7: key "env" in [exec] is written both as "env" and as "env[]" (first at line 6); use one form
lite: 1 error in test/fixtures/config/bad/mixed-list-form.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > mount-bind-type.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/mount-bind-type.ini:8: [mount] entry: "/srv/data /data ext4 bind,ro": a bind mount needs the type "none" or "bind", not "ext4"
lite: 1 error in test/fixtures/config/bad/mount-bind-type.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > mount-create.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/mount-create.ini:8: [mount] entry: "create=node": create= takes dir or file
lite: 1 error in test/fixtures/config/bad/mount-create.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > mount-parent-target.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/mount-parent-target.ini:8: [mount] entry: "/tmp/../etc" has a ".." component
lite: 1 error in test/fixtures/config/bad/mount-parent-target.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > mount-too-few-fields.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/mount-too-few-fields.ini:8: [mount] entry: "/srv/data /data" is not "SOURCE TARGET TYPE [OPTIONS]" (2 fields)
lite: 1 error in test/fixtures/config/bad/mount-too-few-fields.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > net-type.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/net-type.ini:8: [net] type: "nat" is not a network type (use none, host, bridge, macvlan, ipvlan, container:NAME or netns:PATH)
lite: 1 error in test/fixtures/config/bad/net-type.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > oom-score-range.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/oom-score-range.ini:8: [limits] oom_score_adj: -2000 is out of range (-1000..1000)
lite: 1 error in test/fixtures/config/bad/oom-score-range.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > outside-section.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/outside-section.ini:1: "name" is outside any section; put it under a [section] header
lite: 1 error in test/fixtures/config/bad/outside-section.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > readonly-with-upper.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/readonly-with-upper.ini:4: [rootfs] readonly: yes means no overlay, so upper (line 3) can't be set; remove one of them
lite: 1 error in test/fixtures/config/bad/readonly-with-upper.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > relative-cwd.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/relative-cwd.ini:6: [exec] cwd: "app" is not an absolute path inside the container
lite: 1 error in test/fixtures/config/bad/relative-cwd.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > resolv-conf-missing.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/resolv-conf-missing.ini:8: [net] resolv_conf: "none": No such file or directory (ENOENT); use host, rootfs or the path of a file
lite: 1 error in test/fixtures/config/bad/resolv-conf-missing.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > restart-count.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/restart-count.ini:8: [start] restart: "on-failure:0": the number of restarts must be 1..1000000 (on-failure alone is unlimited)
lite: error: test/fixtures/config/bad/restart-count.ini:9: [start] delay: "1h" is not a number of seconds (use e.g. 0, 2 or 0.5)
lite: error: test/fixtures/config/bad/restart-count.ini:12: [log] size: "lots" is not a size (use bytes, or a number with K, M, G or T: 512K, 64M, 1G)
lite: 3 errors in test/fixtures/config/bad/restart-count.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > rlimit-bad-value.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/rlimit-bad-value.ini:8: [limits] core: "lots" is not soft[:hard] (each a non-negative integer or "unlimited")
lite: 1 error in test/fixtures/config/bad/rlimit-bad-value.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > rlimit-soft-above-hard.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/rlimit-soft-above-hard.ini:8: [limits] nofile: "4096:1024": the soft limit is above the hard limit
lite: 1 error in test/fixtures/config/bad/rlimit-soft-above-hard.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > rlimit-unknown.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/rlimit-unknown.ini:8: unknown key "nofiles" in [limits] (did you mean "nofile"?)
lite: 1 error in test/fixtures/config/bad/rlimit-unknown.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > rootfs-missing.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/rootfs-missing.ini:2: [rootfs] path: "./no-such-rootfs": No such file or directory (ENOENT)
lite: 1 error in test/fixtures/config/bad/rootfs-missing.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > rootfs-not-an-image.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/rootfs-not-an-image.ini:2: [rootfs] path: "../files/resolv.conf" is a regular file but neither a squashfs nor an erofs image
lite: 1 error in test/fixtures/config/bad/rootfs-not-an-image.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > scalar-with-brackets.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/scalar-with-brackets.ini:5: [exec] cmd takes one value; write "cmd = ...", not "cmd[] = ..."
lite: 1 error in test/fixtures/config/bad/scalar-with-brackets.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > security-caps.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/security-caps.ini:8: [security] cap.keep: "cap_net_admn" is not a capability (did you mean NET_ADMIN?)
lite: error: test/fixtures/config/bad/security-caps.ini:9: [security] no_new_privs: "sometimes" is not a boolean (use yes/no, true/false, on/off or 1/0)
lite: 2 errors in test/fixtures/config/bad/security-caps.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > security-keep-and-drop.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/security-keep-and-drop.ini:9: [security] cap.drop: not with cap.keep (line 8), which already names the whole set; use one of them
lite: 1 error in test/fixtures/config/bad/security-keep-and-drop.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > security-seccomp-json.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/security-seccomp-json.ini:8: [security] seccomp: ../files/broken-seccomp.json:5: not valid JSON: expected ',' or ']' but found '{'
lite: 1 error in test/fixtures/config/bad/security-seccomp-json.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > security-seccomp-missing.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/security-seccomp-missing.ini:8: [security] seccomp: ../files/no-such-profile.json: No such file or directory (ENOENT)
lite: 1 error in test/fixtures/config/bad/security-seccomp-missing.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > security-seccomp-profile.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/security-seccomp-profile.ini:8: [security] seccomp: ../files/bad-seccomp.json:6: syscalls[0].action: unknown action "SCMP_ACT_ALOW" (use SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE, SCMP_ACT_LOG); ../files/bad-seccomp.json:11: syscalls[1].args[0].index 7 is out of range (0..5); ../files/bad-seccomp.json:16: syscalls[2].includes.caps[0]: unknown capability "CAP_DAC_READ_SERCH"
lite: 1 error in test/fixtures/config/bad/security-seccomp-profile.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > size-fraction.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/size-fraction.ini:3: [rootfs] size: "0.3K" is not a whole number of bytes
lite: 1 error in test/fixtures/config/bad/size-fraction.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > size-with-dir-upper.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/size-with-dir-upper.ini:4: [rootfs] size: only sizes a tmpfs upper, and upper (line 3) is a directory
lite: 1 error in test/fixtures/config/bad/size-with-dir-upper.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > size-zero.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/size-zero.ini:3: [rootfs] size: 0 would leave the tmpfs without a cap; give a size
lite: 1 error in test/fixtures/config/bad/size-zero.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > start-and-log.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/start-and-log.ini:8: [start] auto: "sometimes" is not a boolean (use yes/no, true/false, on/off or 1/0)
lite: error: test/fixtures/config/bad/start-and-log.ini:9: [start] order: "first" is not an integer
lite: error: test/fixtures/config/bad/start-and-log.ini:10: [start] delay: "-1" is not a number of seconds (use e.g. 0, 2 or 0.5)
lite: error: test/fixtures/config/bad/start-and-log.ini:11: [start] restart: "unless-stopped": lite has no daemon to remember a stop; use always (a stopped container is never restarted)
lite: error: test/fixtures/config/bad/start-and-log.ini:14: [log] target: "journald" is not one of: file, syslog, none
lite: error: test/fixtures/config/bad/start-and-log.ini:15: [log] size: "4K" is below the minimum of 16K
lite: 6 errors in test/fixtures/config/bad/start-and-log.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > stop-timeout-range.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/stop-timeout-range.ini:6: [exec] stop_timeout: 7200 is out of range (0..3600)
lite: 1 error in test/fixtures/config/bad/stop-timeout-range.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > sysctl.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/sysctl.ini:14: [sysctl] net.ipv4.ip_forward: net.* sysctls need the container's own network namespace, and [net] type = host shares the host's
lite: error: test/fixtures/config/bad/sysctl.ini:15: [sysctl] kernel.shmmax: IPC sysctls need the container's own IPC namespace, and [namespaces] keep has ipc
lite: error: test/fixtures/config/bad/sysctl.ini:16: [sysctl] vm.swappiness: vm.swappiness is not namespaced: setting it would change the host. lite allows net.* (with the container's own network namespace), kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* (with its own IPC namespace)
lite: error: test/fixtures/config/bad/sysctl.ini:17: [sysctl] kernel.msgmax: a sysctl needs a value
lite: 4 errors in test/fixtures/config/bad/sysctl.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > unknown-key-no-suggestion.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/unknown-key-no-suggestion.ini:3: unknown key "compression" in [rootfs]
lite: 1 error in test/fixtures/config/bad/unknown-key-no-suggestion.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > unknown-key.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/unknown-key.ini:6: unknown key "stop_timout" in [exec] (did you mean "stop_timeout"?)
lite: 1 error in test/fixtures/config/bad/unknown-key.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > unknown-section-no-suggestion.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/unknown-section-no-suggestion.ini:7: unknown section [volumes]; the sections are [container] [rootfs] [exec] [mount] [namespaces] [user] [net] [limits] [resources] [cgroup] [cgroup2] [devices] [security] [sysctl] [hook] [start] [health] [update] [log]
lite: 1 error in test/fixtures/config/bad/unknown-section-no-suggestion.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > unknown-section.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/unknown-section.ini:2: unknown section [rootf] (did you mean [rootfs]?)
lite: 1 error in test/fixtures/config/bad/unknown-section.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > unquoted-hash.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/unquoted-hash.ini:6: [exec] env: unquoted '#' would cut the value here; quote the whole value ('...') or escape it as \\#
lite: 1 error in test/fixtures/config/bad/unquoted-hash.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > unquoted-semicolon.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/unquoted-semicolon.ini:5: [exec] cmd: unquoted ';' would cut the value here; quote the whole value ('...') or escape it as \\;
lite: 1 error in test/fixtures/config/bad/unquoted-semicolon.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > unterminated-quote.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/unterminated-quote.ini:5: [exec] cmd: unterminated ' quote in "sh -c 'echo hello"
lite: 1 error in test/fixtures/config/bad/unterminated-quote.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > Upper-Case-File-Name.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/Upper-Case-File-Name.ini: [container] name: not set, and its default (the config file's name without ".ini") "Upper-Case-File-Name" is not a valid container name (1 to 63 of a-z 0-9 _ . -, starting with a letter or digit); set it explicitly
lite: 1 error in test/fixtures/config/bad/Upper-Case-File-Name.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > upper-missing.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/upper-missing.ini:3: [rootfs] upper: "/no/such/upper": No such file or directory (ENOENT)
lite: 1 error in test/fixtures/config/bad/upper-missing.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > user-gid-map-without-map.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/user-gid-map-without-map.ini:6: [user] gid_map: only with explicit map ranges, and map is auto
lite: 1 error in test/fixtures/config/bad/user-gid-map-without-map.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > user-map-bad-range.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/user-map-bad-range.ini:5: [user] map: "0:100000:0" maps no ids (COUNT must be at least 1)
lite: 1 error in test/fixtures/config/bad/user-map-bad-range.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > user-map-leaves-out-user.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/user-map-leaves-out-user.ini:5: [user] map: leaves out uid 1000, which [exec] user runs as; map it too
lite: error: test/fixtures/config/bad/user-map-leaves-out-user.ini:5: [user] map: leaves out gid 1000, which [exec] user or groups use; map it too
lite: 2 errors in test/fixtures/config/bad/user-map-leaves-out-user.ini; nothing was started

`

exports[`test/unit/config-validate.test.ts > TAP > every bad config is refused with all of its errors > user-map-no-root.ini > must match snapshot 1`] = `
lite: error: test/fixtures/config/bad/user-map-no-root.ini:5: [user] map: container root (id 0) must be mapped: add a range that starts at 0
lite: 1 error in test/fixtures/config/bad/user-map-no-root.ini; nothing was started

`
