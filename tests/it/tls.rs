//! TLS to the repository (issue 11 item 9): `prefer` (the default) encrypts when the
//! server offers TLS; `verify-ca` and `verify-full` check the certificate against
//! `root_cert_file`, and `verify-full` also the host name. Against a private cluster
//! with `ssl = on` and certificates made here with the `openssl` CLI.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use usagelake::config::pg_connection::PgConnection;
use usagelake::config::SslMode;
use usagelake::pgcluster::{ClusterOptions, PgCluster, ServerTls};
use usagelake::postgres::{ConnectOptions, ExtractError, PgSession};
use usagelake::sources::SourceConfig;

/// A CA, a server certificate it issued for `localhost` only, and another CA.
struct Certificates {
    dir: tempfile::TempDir,
}

impl Certificates {
    fn make() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .expect("the TLS test needs the openssl CLI");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        for ca in ["ca", "other-ca"] {
            let (key, crt, subject) = (
                format!("{ca}.key"),
                format!("{ca}.crt"),
                format!("/CN=usagelake test {ca}"),
            );
            let mut args = vec![
                "req", "-x509", "-days", "2", "-subj", &subject, "-keyout", &key, "-out", &crt,
            ];
            args.extend(ec);
            args.extend([
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ]);
            run(&args);
        }
        let mut args = vec![
            "req",
            "-new",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ];
        args.extend(ec);
        run(&args);
        std::fs::write(
            dir.path().join("server.ext"),
            "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ]);
        Certificates { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }
}

fn options(
    cluster: &PgCluster,
    host: &str,
    sslmode: SslMode,
    root: Option<&Path>,
) -> ConnectOptions {
    ConnectOptions {
        host: host.into(),
        port: cluster.port(),
        database: "postgres".into(),
        user: "postgres".into(),
        password: None,
        sslmode,
        root_cert_file: root.map(Path::to_path_buf),
        connect_timeout: Duration::from_secs(10),
        statement_timeout: Duration::from_secs(3600),
        idle_in_transaction_timeout: Duration::from_secs(600),
        application_name: "usagelake-tls-test".into(),
    }
}

async fn is_encrypted(opts: &ConnectOptions) -> Result<bool, ExtractError> {
    let session = PgSession::connect(opts).await?;
    let encrypted = session.is_encrypted().await?;
    session.finish().await?;
    Ok(encrypted)
}

#[tokio::test]
async fn every_sslmode_against_a_server_with_tls() {
    let certs = Certificates::make();
    let opts = ClusterOptions {
        tls: Some(ServerTls {
            cert_pem: certs.read("server.crt"),
            key_pem: certs.read("server.key"),
        }),
        ..ClusterOptions::ephemeral()
    };
    let cluster = tokio::task::spawn_blocking(move || PgCluster::start(opts))
        .await
        .unwrap()
        .unwrap();
    let ip = cluster.host();
    let (ca, other_ca, server) = (
        certs.path("ca.crt"),
        certs.path("other-ca.crt"),
        certs.path("server.crt"),
    );

    // The default: passwords and usage data must not cross the network in clear.
    assert!(
        is_encrypted(&options(&cluster, ip, SslMode::Prefer, None))
            .await
            .unwrap(),
        "prefer must use TLS when offered"
    );
    assert!(is_encrypted(&options(&cluster, ip, SslMode::Require, None))
        .await
        .unwrap());
    assert!(
        !is_encrypted(&options(&cluster, ip, SslMode::Disable, None))
            .await
            .unwrap()
    );

    // verify-ca: issued by the CA in root_cert_file, or that very certificate (Tableau's
    // self-signed server.crt); any host name.
    assert!(
        is_encrypted(&options(&cluster, ip, SslMode::VerifyCa, Some(&ca)))
            .await
            .unwrap()
    );
    assert!(
        is_encrypted(&options(&cluster, ip, SslMode::VerifyCa, Some(&server)))
            .await
            .unwrap()
    );
    let wrong_ca = is_encrypted(&options(&cluster, ip, SslMode::VerifyCa, Some(&other_ca))).await;
    assert!(
        matches!(wrong_ca, Err(ExtractError::Connect { .. })),
        "{wrong_ca:?}"
    );

    // verify-full: the certificate names `localhost`, not 127.0.0.1.
    assert!(is_encrypted(&options(
        &cluster,
        "localhost",
        SslMode::VerifyFull,
        Some(&ca)
    ))
    .await
    .unwrap());
    let wrong_name = is_encrypted(&options(&cluster, ip, SslMode::VerifyFull, Some(&ca))).await;
    let text = format!("{:?}", wrong_name.as_ref().err());
    assert!(
        matches!(wrong_name, Err(ExtractError::Connect { .. })),
        "{wrong_name:?}"
    );
    assert!(
        text.contains("NotValidForName") || text.contains("name"),
        "{text}"
    );
    cluster.stop().unwrap();
}

#[test]
fn verify_modes_need_a_root_cert_file_relative_to_the_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let write = |text: &str| {
        let path = dir.path().join("p.toml");
        std::fs::write(&path, text).unwrap();
        path
    };
    let base = "[output]\nroot = \"lake\"\n\n[[sources]]\nname = \"tab\"\nkind = \"tableau\"\nhost = \"h\"\n";
    let err =
        usagelake::pipeline::load_pipeline(&write(&format!("{base}sslmode = \"verify-full\"\n")))
            .expect_err("verify-full without root_cert_file is a config error");
    assert!(format!("{err:#}").contains("root_cert_file"), "{err:#}");
    let pipeline = usagelake::pipeline::load_pipeline(&write(&format!(
        "{base}sslmode = \"verify-ca\"\nroot_cert_file = \"certs/server.crt\"\n"
    )))
    .unwrap();
    let SourceConfig::Tableau(source) = &pipeline.sources[0] else {
        panic!("a tableau source")
    };
    let PgConnection {
        sslmode,
        root_cert_file,
        ..
    } = &source.connection;
    assert_eq!(*sslmode, SslMode::VerifyCa);
    assert_eq!(
        root_cert_file.as_deref(),
        Some(dir.path().join("certs/server.crt").as_path())
    );
}
