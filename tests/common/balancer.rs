//! A real load balancer in front of several instances: nginx from Debian (as `.ci/run` installs it), round
//! robin, no sticky sessions, configured as `docs/deployment.md` shows (the `Host` header passed on, no
//! access log, so no address is written anywhere). Each answer names the instance that gave it
//! (`X-Upstream`, a header of the tests' configuration only), so a test can see the requests spread.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where nginx is, if it is installed.
pub fn nginx() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(str::to_owned))
        .is_some_and(|l| l.split_whitespace().nth(1) == Some("0"))
}

/// A running nginx; stopped when dropped.
pub struct Balancer {
    child: Child,
    pub base: String,
}

impl Balancer {
    /// Starts nginx on a free loopback port in front of `backends` (`http://127.0.0.1:PORT` each), its
    /// files under `dir`, and waits until it accepts connections.
    pub fn start(nginx: &Path, dir: &Path, backends: &[String]) -> Self {
        let port = crate::smtp::free_port();
        std::fs::create_dir_all(dir.join("logs")).expect("nginx's directory");
        let servers: String = backends
            .iter()
            .map(|b| format!("        server {};\n", b.trim_start_matches("http://")))
            .collect();
        // Under root (as in CI) the workers would run as `nobody`, who cannot enter the test's private
        // directory where nginx keeps bodies and buffers.
        let user = if running_as_root() { "user root;\n" } else { "" };
        let config = format!(
            "{user}worker_processes 1;\n\
             pid {dir}/nginx.pid;\n\
             error_log {dir}/logs/error.log warn;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n\
                 access_log off;\n\
                 client_body_temp_path {dir}/body;\n\
                 proxy_temp_path {dir}/proxy;\n\
                 fastcgi_temp_path {dir}/fastcgi;\n\
                 uwsgi_temp_path {dir}/uwsgi;\n\
                 scgi_temp_path {dir}/scgi;\n\
                 upstream minhbach {{\n{servers}    }}\n\
                 server {{\n\
                     listen 127.0.0.1:{port};\n\
                     client_max_body_size 64m;\n\
                     location / {{\n\
                         proxy_pass http://minhbach;\n\
                         proxy_set_header Host $http_host;\n\
                         proxy_http_version 1.1;\n\
                         proxy_set_header Connection \"\";\n\
                         add_header X-Upstream $upstream_addr always;\n\
                     }}\n\
                 }}\n\
             }}\n",
            dir = dir.display(),
        );
        let file = dir.join("nginx.conf");
        std::fs::write(&file, config).expect("nginx.conf written");
        let child = Command::new(nginx)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&file)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let log = std::fs::read_to_string(dir.join("logs/error.log")).unwrap_or_default();
            assert!(Instant::now() < deadline, "nginx did not come up on port {port}: {log}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Balancer {
    /// A fast shutdown (SIGTERM): killing the master alone would leave its worker running.
    fn drop(&mut self) {
        let stopped = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
