/**
 * `RuntimeImage`: builds the runtime image from the repo's Dockerfile with @pulumi/docker-build and
 * pushes it to DOCR (a registry the stack creates, or an existing one it is given; plus a
 * read-only pull secret for the pods) or to an ECR repository the stack creates (EKS nodes pull
 * with their node role, no pull secret). `ref` is digest-pinned.
 */
import * as aws from "@pulumi/aws";
import * as digitalocean from "@pulumi/digitalocean";
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { stackRegistryName } from "./registry-auth";

export interface RuntimeImageArgs {
  readonly registry: "digitalocean" | "aws";
  readonly region: string;
  /**
   * DOCR: an existing registry of the account to push to (not created, not deleted). ECR: the
   * repository to create. @default a registry (DOCR) or repository (ECR) the stack creates, named
   * after the stack by `stackRegistryName`
   */
  readonly registryName?: string;
  /** Image tag, never "latest". */
  readonly tag: string;
  /** Build context. @default the repository root */
  readonly context?: string;
  /**
   * DigitalOcean API token to push with (DOCR takes it as user and password). Read on every run,
   * never stored as a short-lived credential in state.
   * @default digitalocean:token, else DIGITALOCEAN_TOKEN or DIGITALOCEAN_ACCESS_TOKEN
   */
  readonly digitaloceanToken?: pulumi.Input<string>;
}

/** The DigitalOcean API token the digitalocean provider itself would use, or undefined. */
export function digitaloceanToken(): pulumi.Output<string> | undefined {
  const fromConfig = new pulumi.Config("digitalocean").getSecret("token");
  if (fromConfig !== undefined) return fromConfig;
  const env = process.env.DIGITALOCEAN_TOKEN ?? process.env.DIGITALOCEAN_ACCESS_TOKEN;
  return env === undefined || env === "" ? undefined : pulumi.secret(env);
}

/** What identifies this stack: organisation, project and stack names. */
function stackIdentity(): string[] {
  return [pulumi.getOrganization(), pulumi.getProject(), pulumi.getStack()];
}

export class RuntimeImage extends pulumi.ComponentResource {
  /** Digest-pinned reference of the pushed image. */
  readonly ref: pulumi.Output<string>;
  /** `.dockerconfigjson` to pull the image (secret), when the cluster needs one. */
  readonly pullSecret: pulumi.Output<string> | undefined;

  constructor(name: string, args: RuntimeImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8s-slop:index:RuntimeImage", name, {}, opts);
    if (args.tag === "latest") throw new pulumi.ResourceError('image tag must not be "latest"', this);
    const context = args.context ?? path.resolve(__dirname, "..");
    let repository: pulumi.Output<string>;
    let login: pulumi.Output<{ address: string; username: string; password: string }>;
    switch (args.registry) {
      case "digitalocean": {
        const registry =
          args.registryName === undefined
            ? new digitalocean.ContainerRegistry(
                name,
                {
                  name: digitalocean
                    .getAccountOutput({ parent: this })
                    .uuid.apply((uuid) => stackRegistryName([uuid, ...stackIdentity()])),
                  subscriptionTierSlug: "basic",
                  region: args.region,
                },
                // The Basic plan allows one registry per account: a new name (a renamed stack)
                // must free the old one first.
                { parent: this, deleteBeforeReplace: true },
              )
            : digitalocean.getContainerRegistryOutput({ name: args.registryName }, { parent: this });
        // Push with the API token, not with ContainerRegistryDockerCredentials: those expire
        // (1 hour) but stay in state, so a later `up` that rebuilds would push with a dead token.
        const token = args.digitaloceanToken ?? digitaloceanToken();
        if (token === undefined) {
          throw new pulumi.ResourceError(
            "building the image for digitalocean needs a DigitalOcean API token (got none): set DIGITALOCEAN_ACCESS_TOKEN (read by the provider and by doctl) or digitalocean:token, or set k8s-slop:image",
            this,
          );
        }
        const pull = new digitalocean.ContainerRegistryDockerCredentials(
          `${name}-pull`,
          { registryName: registry.name, write: false },
          { parent: this },
        );
        repository = pulumi.interpolate`${registry.endpoint}/slop`;
        login = pulumi.secret(
          pulumi
            .all([token, registry.serverUrl])
            .apply(([t, server]) => ({ address: server, username: t, password: t })),
        );
        this.pullSecret = pulumi.secret(pull.dockerCredentials);
        break;
      }
      case "aws": {
        const repo = new aws.ecr.Repository(
          name,
          {
            name: args.registryName ?? stackRegistryName(stackIdentity()),
            region: args.region,
            forceDelete: true,
            imageScanningConfiguration: { scanOnPush: true },
          },
          { parent: this },
        );
        const token = aws.ecr.getAuthorizationTokenOutput(
          { registryId: repo.registryId, region: args.region },
          { parent: this },
        );
        repository = repo.repositoryUrl;
        login = pulumi.secret(
          pulumi
            .all([token.proxyEndpoint, token.userName, token.password])
            .apply(([endpoint, username, password]) => ({
              address: endpoint.replace(/^https?:\/\//, ""),
              username,
              password,
            })),
        );
        this.pullSecret = undefined;
        break;
      }
      default: {
        const never: never = args.registry;
        throw new pulumi.ResourceError(`registry must be digitalocean or aws (got ${String(never)})`, this);
      }
    }
    const image = new dockerBuild.Image(
      name,
      {
        context: { location: context },
        dockerfile: { location: path.join(context, "Dockerfile") },
        platforms: ["linux/amd64"],
        push: true,
        buildOnPreview: false,
        tags: [pulumi.interpolate`${repository}:${args.tag}`],
        registries: [{ address: login.address, username: login.username, password: login.password }],
      },
      { parent: this },
    );
    this.ref = image.ref;
    this.registerOutputs({ ref: this.ref });
  }
}
