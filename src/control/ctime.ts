// ctime(3) without the trailing newline, in local time: "Wed Nov 25 03:51:03 2026".
// Kamailio's core.uptime prints its dates this way.
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function ctime(d: Date): string {
  const day = d.getDate();
  return (
    `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${day < 10 ? ' ' : ''}${day} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`
  );
}
