//! The shipped Kubernetes Job (deploy/kubernetes/kdg-job.yaml): its pod command is one kdg
//! accepts, split by the completion index, with the report uploaded to S3 under the index and
//! the metrics port the annotations and the container port name. (`scripts/validate-manifests.sh`
//! checks the schema.)

use crate::common::*;

fn manifest() -> String {
    std::fs::read_to_string(root().join("deploy/kubernetes/kdg-job.yaml")).unwrap()
}

/// The container's `args:` list, unquoted.
fn pod_args(yaml: &str) -> Vec<String> {
    let after = yaml.split_once("\n          args:\n").expect("args:").1;
    after
        .lines()
        .map_while(|l| l.strip_prefix("            - "))
        .map(|a| a.trim_matches('"').to_string())
        .collect()
}

/// The value of `key: value` (first occurrence), unquoted.
fn field<'a>(yaml: &'a str, key: &str) -> &'a str {
    yaml.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("{key}"))
        .trim_matches('"')
}

fn after<'a>(args: &'a [String], flag: &str) -> &'a str {
    let i = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("{flag} in {args:?}"));
    &args[i + 1]
}

#[test]
fn the_job_splits_by_index_reports_to_s3_under_the_index_and_serves_metrics_on_the_annotated_port() {
    let yaml = manifest();
    let args = pod_args(&yaml);
    let completions = field(&yaml, "completions");
    assert_eq!(field(&yaml, "parallelism"), completions);
    assert_eq!(
        after(&args, "--instance"),
        format!("$(JOB_COMPLETION_INDEX)/{completions}")
    );
    assert_eq!(
        after(&args, "--report-json"),
        "${REPORT_S3}/$(JOB_COMPLETION_INDEX).json",
        "each pod's report goes to S3 under its index"
    );
    assert!(
        yaml.contains("s3:PutObject"),
        "the IRSA role comment lists the upload permission"
    );
    assert_eq!(after(&args, "--start-at"), "${START_AT}", "filled in at apply time");
    let port = field(&yaml, "containerPort");
    assert_eq!(after(&args, "--metrics-listen"), format!("0.0.0.0:{port}"));
    assert_eq!(field(&yaml, "prometheus.io/port"), port);
    assert!(
        !args.iter().any(|a| a == "--quiet" || a == "-q"),
        "logs show progress: {args:?}"
    );
    assert!(!yaml.contains("persistentVolumeClaim"), "no shared volume");
    assert!(yaml.contains("completionMode: Indexed") && yaml.contains("values: [1, 2]"));

    // The pod command, as Kubernetes (and envsubst) would expand it for pod 1, is one kdg runs:
    // here with the stream swapped for the null sink, a small count, and S3 on moto.
    let Some(server) = moto() else { return };
    let endpoint = server.endpoint();
    boto3(&endpoint, "boto3.client('s3', **kw).create_bucket(Bucket='kdg-deploy')");
    let expanded: Vec<String> = args
        .iter()
        .map(|a| match a.as_str() {
            "/templates/price.hbs" => "templates/price.hbs".to_string(),
            "--stream" => "--sink".to_string(),
            "prices" => "null".to_string(),
            "0.0.0.0:9464" => format!("127.0.0.1:{}", free_port()),
            "30s" => "1ms".to_string(),
            other => other
                .replace("$(JOB_COMPLETION_INDEX)", "1")
                .replace("${START_AT}", "now")
                .replace("${REPORT_S3}", "s3://kdg-deploy/runs/r1"),
        })
        .chain(["--count", "40", "--endpoint-url", &endpoint].map(String::from))
        .collect();
    let o = run(kdg(&expanded.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(o.status.code(), Some(0), "{expanded:?}: {}", stderr(&o));
    let text = s3_text(&endpoint, "kdg-deploy", "runs/r1/1.json");
    let report: serde_json::Value = serde_json::from_str(&text).expect("pod 1's JSON report in S3");
    assert_eq!(report["totals"]["delivered"], 10, "instance 1 of 4 sends its quarter");
    assert!(stderr(&o).contains("delivered"), "the text report is in the log");
}
